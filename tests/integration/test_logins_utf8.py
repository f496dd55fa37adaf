"""Logins the way the mariadb client makes them, through ansible-playbook and the modules:
UTF-8 passwords and user names, quotes and backslashes in module options and option files,
and no ~/.my.cnf at all.  Each account is also checked with the real `mariadb` client, so a
test fails only when the module disagrees with the client."""
from __future__ import annotations

import os
import subprocess

import pytest

from lab_helpers import run_module

_counter = iter(range(1000))


def create_account(lab, user, password):
    """An account on the primary (not replicated) with the monitor's grants."""
    with lab.session("primary") as admin:
        admin.execute("SET SESSION sql_log_bin = 0")
        admin.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (user, password))
        admin.execute("GRANT SLAVE MONITOR, BINLOG MONITOR, PROCESS ON *.* TO %s@'127.0.0.1'", (user,))


def mariadb_client(lab, *args):
    """Run the real client against the primary; return (returncode, stdout+stderr)."""
    node = lab.node("primary")
    proc = subprocess.run(["mariadb", *args, "-h127.0.0.1", f"-P{node.port}", "-N", "-e", "SELECT CURRENT_USER()"],
                          capture_output=True, timeout=30, check=False)
    return proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace")


def facts_as(lab, args):
    node = lab.node("primary")
    result, output = run_module("replication_facts", dict({"login_host": "127.0.0.1", "login_port": node.port}, **args))
    return result, output


def assert_logged_in(result, lab):
    assert not result.get("failed"), result.get("msg")
    facts = result["ansible_facts"]["mysql_replication"]
    assert facts["server_id"] == lab.node("primary").server_id


@pytest.mark.parametrize("user,password", [
    ("utf8_umlauts", "pässwörd"),
    ("utf8_symbols", "€✓"),
    ("prüfer", "ünïcödé-€✓"),
])
def test_a_utf8_password_and_user_name_log_in_through_the_module_as_with_the_mariadb_client(shared_lab, user, password):
    create_account(shared_lab, user, password)
    code, said = mariadb_client(shared_lab, "--no-defaults", f"--user={user}", f"--password={password}")
    assert code == 0, said  # the client's view of the account: it accepts this password
    result, output = facts_as(shared_lab, {"login_user": user, "login_password": password, "config_file": "/dev/null"})
    assert_logged_in(result, shared_lab)
    assert password not in output


def test_a_wrong_utf8_password_is_access_denied_not_a_codec_crash(shared_lab):
    create_account(shared_lab, "utf8_wrong", "pässwörd")
    result, output = facts_as(shared_lab, {"login_user": "utf8_wrong", "login_password": "päss€✓", "config_file": "/dev/null"})
    assert result["failed"] is True and result["reachability"] == "auth", result.get("msg")
    assert "Access denied" in result["msg"] and "codec" not in output and "päss€✓" not in output


QUOTED = "q'u\"o\\te\\\\d #x; =y"   # q ' u " o \ t e \ \ d space # x ; space = y


def test_quotes_backslashes_and_hashes_in_login_password_reach_the_server_unchanged(shared_lab):
    create_account(shared_lab, "quoted_option", QUOTED)
    code, said = mariadb_client(shared_lab, "--no-defaults", "--user=quoted_option", f"--password={QUOTED}")
    assert code == 0, said
    result, output = facts_as(shared_lab, {"login_user": "quoted_option", "login_password": QUOTED, "config_file": "/dev/null"})
    assert_logged_in(result, shared_lab)
    assert QUOTED not in output


# The same password written two ways the client reads as QUOTED (see the MySQL manual,
# "Using Option Files": quotes around the value, \" \' \\ escapes, # comments outside quotes).
OPTION_FILE_SPELLINGS = {
    "double_quoted": '"q\'u\\"o\\\\te\\\\\\\\d #x; =y"  # a comment',
    "single_quoted": "'q\\'u\"o\\\\te\\\\\\\\d #x; =y'",
}


@pytest.mark.parametrize("spelling", sorted(OPTION_FILE_SPELLINGS))
def test_an_option_file_password_is_read_as_mariadb_defaults_file_reads_it(shared_lab, tmp_path, spelling):
    user = f"quoted_file_{next(_counter)}"
    create_account(shared_lab, user, QUOTED)
    cnf = tmp_path / "login.cnf"
    cnf.write_text(f"[client]\nuser = {user}\npassword = {OPTION_FILE_SPELLINGS[spelling]}\n", encoding="utf-8")
    os.chmod(cnf, 0o600)
    code, said = mariadb_client(shared_lab, f"--defaults-file={cnf}")
    assert code == 0 and user in said, said  # the ground truth: the client logs in with this file
    result, output = facts_as(shared_lab, {"config_file": str(cnf)})
    assert_logged_in(result, shared_lab)
    assert QUOTED not in output


def test_with_an_empty_home_and_no_config_file_login_options_alone_log_in(shared_lab, tmp_path, monkeypatch):
    # community.mysql style: login_* options, no config_file, and no ~/.my.cnf on the host.
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    create_account(shared_lab, "no_my_cnf", "Pw-no-my-cnf-1")
    result, output = facts_as(shared_lab, {"login_user": "no_my_cnf", "login_password": "Pw-no-my-cnf-1"})
    assert_logged_in(result, shared_lab)
    assert ".my.cnf" not in output


def test_with_an_empty_home_a_config_file_named_on_purpose_must_exist(shared_lab, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    missing = tmp_path / "named-on-purpose.cnf"
    result, _output = facts_as(shared_lab, {"login_user": "x", "login_password": "Pw-unused-9", "config_file": str(missing)})
    assert result["failed"] is True
    assert f"cannot read option file {missing}: No such file or directory" in result["msg"]


def test_home_my_cnf_is_read_when_it_exists_and_no_config_file_is_given(shared_lab, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    my_cnf = home / ".my.cnf"
    my_cnf.write_text(f"[client]\nuser=mysqlha_admin\npassword=\"{shared_lab.secret('admin')}\"\n")
    os.chmod(my_cnf, 0o600)
    monkeypatch.setenv("HOME", str(home))
    result, output = facts_as(shared_lab, {})
    assert_logged_in(result, shared_lab)
    assert shared_lab.secret("admin") not in output
