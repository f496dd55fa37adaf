"""Connection options and the classification of failures, against real loopback sockets."""
from __future__ import annotations

import math
import os
import shutil
import socket
import subprocess
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import (
    ConnectionParams,
    connect,
    option_file_entries,
    read_option_file,
    resolve_params,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError, ConnectError


def params(**kw):
    kw.setdefault("config_file", "/dev/null")
    return resolve_params(ConnectionParams(**kw))


def test_password_never_appears_in_repr():
    p = ConnectionParams(host="db1", user="monitor", password="s3cr3t-pass")
    assert "s3cr3t-pass" not in repr(p) and "********" in repr(p)


def test_option_file_fills_unset_options_and_explicit_ones_win(tmp_path):
    cnf = tmp_path / "my.cnf"
    cnf.write_text("[client]\nuser = monitor\npassword = 'from file'\nport=3307\n"
                   "[mysqlha]\nssl_mode = required\n")
    resolved = resolve_params(ConnectionParams(host="db1", user="other", config_file=str(cnf)))
    assert (resolved.user, resolved.password, resolved.port, resolved.ssl_mode) == ("other", "from file", 3307, "required")


def test_an_explicit_option_file_that_is_missing_is_an_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="cannot read option file .*nope.cnf"):
        resolve_params(ConnectionParams(host="db1", config_file=str(tmp_path / "nope.cnf")))


# ---- the default option file -------------------------------------------------

def test_without_config_file_a_missing_home_my_cnf_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    resolved = resolve_params(ConnectionParams(host="db1", user="monitor", password="pw"))
    assert (resolved.user, resolved.password, resolved.config_file) == ("monitor", "pw", None)


@pytest.mark.parametrize("spelled", ["~/.my.cnf", "expanded"])
def test_the_default_file_named_as_ansible_passes_it_is_still_optional(tmp_path, monkeypatch, spelled):
    # A `type: path` default arrives expanded: /home/x/.my.cnf, not a file named on purpose.
    monkeypatch.setenv("HOME", str(tmp_path))
    config_file = str(tmp_path / ".my.cnf") if spelled == "expanded" else spelled
    resolved = resolve_params(ConnectionParams(host="db1", user="monitor", config_file=config_file))
    assert resolved.user == "monitor" and resolved.config_file is None


def test_an_existing_home_my_cnf_is_read_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".my.cnf").write_text("[client]\nuser=from_home\npassword=\"p w\"\n")
    resolved = resolve_params(ConnectionParams(host="db1"))
    assert (resolved.user, resolved.password) == ("from_home", "p w")
    assert resolved.config_file == str(tmp_path / ".my.cnf")


def test_a_world_writable_option_file_is_refused_naming_it(tmp_path):
    cnf = tmp_path / "shared.cnf"
    cnf.write_text("[client]\npassword=x\n")
    os.chmod(cnf, 0o666)
    with pytest.raises(ConfigError, match="shared.cnf is world-writable"):
        resolve_params(ConnectionParams(host="db1", config_file=str(cnf)))


# ---- option file syntax: the client's rules ------------------------------------

# (value as written after "password=", what the client makes of it), each checked
# against `my_print_defaults` of MariaDB 10.11 (see the differential tests below).
CLIENT_VALUES = [
    ("plain value   ", "plain value"),
    ('"quoted # not a comment"', "quoted # not a comment"),
    ("ab#cd", "ab"),
    ("ab #cd", "ab"),
    (r'"a\"b\\c\'d"', r"""a"b\c'd"""),
    (r"a\sb\tc\qd", "a b\tc\\qd"),
    ("'x'y'", "x'y"),
    ('"unterminated', '"unterminated'),
    ('  "  spaced  "  ', "  spaced  "),
    ("it's # no comment: the quote is open", "it's # no comment: the quote is open"),
    ('"a" # comment', "a"),
    (r"a\\#b", "a\\"),
    (r'"a\#b"', r"a\#b"),
    (r"trail\s", "trail "),
    ('""', ""),
    ("'", "'"),
    ('"x" "y"', 'x" "y'),
    ("a;b", "a;b"),
    ("p\u20ac\u2713\u00e4", "p\u20ac\u2713\u00e4"),
    ("a\\", "a\\"),
    (r"'a\'b' # comment", "a'b"),
    (r'a\"b #c', 'a"b #c'),
    # The client strips byte 0xA0 (latin-1 NO-BREAK SPACE) as white space: the last byte of
    # UTF-8 "\u00e0".  Unquoted, a trailing "\u00e0" loses it (what is left is not UTF-8 and is
    # sent as the byte it is); quoted, it stays.
    ("l\u00e0", "l\udcc3"),
    ('"l\u00e0"', "l\u00e0"),
    ("\u00e0 la", "\u00e0 la"),
]


@pytest.mark.parametrize("written,meant", CLIENT_VALUES)
def test_option_file_values_follow_the_client_quote_escape_and_comment_rules(tmp_path, written, meant):
    cnf = tmp_path / "my.cnf"
    cnf.write_text("[client]\npassword=%s\n" % written, encoding="utf-8")
    assert read_option_file(str(cnf))["password"] == meant


def test_option_file_groups_names_order_and_includes_follow_the_client(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "b.cnf").write_text("[client]\nhost=from-b\n")
    (tmp_path / "conf.d" / "a.cnf").write_text("[client]\nhost=from-a\nport=3310\n")
    (tmp_path / "conf.d" / "c.txt").write_text("[client]\nhost=not-a-cnf-file\n")
    cnf = tmp_path / "my.cnf"
    cnf.write_text("  # indented comment\n; semicolon comment\n"
                   "[mysqlha]\nuser=from-mysqlha\n"
                   "[CLIENT] text after the bracket is ignored\r\n"
                   "USER = from-client-last\r\n"    # names are case-insensitive; file order wins, not group order
                   "loose_ssl_ca=/ca.pem\n"          # loose- prefix, _ and - alike
                   "!includedir %s\n"                # a.cnf then b.cnf; included files have their own groups
                   "!include %s\n"                   # a missing !include is skipped, like the client does
                   "[ client ]\npassword=not-client\n"   # a leading space makes another group
                   "[other]\npassword=other\n" % (tmp_path / "conf.d", tmp_path / "missing.cnf"))
    assert read_option_file(str(cnf)) == {"user": "from-client-last", "ssl_ca": "/ca.pem", "host": "from-b", "port": "3310"}


@pytest.mark.parametrize("text,message", [
    ("user=x\n[client]\n", "line 1: an option before any \\[group\\]"),
    ("[client]\n[client\n", "line 2: a \\[group\\] line without its \\]"),
    ("[client]\n!includedir /nonexistent-mysqlha-dir\n", "line 2: cannot read !includedir /nonexistent-mysqlha-dir"),
    ("[client]\n!include\n", "line 2: !include names nothing"),
])
def test_option_files_the_client_refuses_are_errors_naming_file_and_line(tmp_path, text, message):
    cnf = tmp_path / "bad.cnf"
    cnf.write_text(text)
    with pytest.raises(ConfigError, match="bad.cnf " + message):
        read_option_file(str(cnf))


def test_an_include_loop_is_an_error_not_a_recursion_crash(tmp_path):
    cnf = tmp_path / "loop.cnf"
    cnf.write_text("[client]\n!include %s\n" % cnf)
    with pytest.raises(ConfigError, match="nested more than 10 deep"):
        read_option_file(str(cnf))


MY_PRINT_DEFAULTS = shutil.which("my_print_defaults")
needs_client = pytest.mark.skipif(MY_PRINT_DEFAULTS is None, reason="my_print_defaults (mariadb-client) is not installed")


def client_reads(path, *groups):
    """What the MariaDB client library makes of an option file: my_print_defaults' lines."""
    proc = subprocess.run([MY_PRINT_DEFAULTS, "--defaults-file=%s" % path] + list(groups),
                          capture_output=True, check=True)
    return proc.stdout.decode("utf-8", "surrogateescape")


def entries_as_printed(path, *groups):
    return "".join("--%s%s\n" % (name, "" if value is None else "=" + value)
                   for group, name, value in option_file_entries(str(path)) if group in groups)


@needs_client
@pytest.mark.parametrize("written,meant", CLIENT_VALUES)
def test_each_listed_value_is_what_my_print_defaults_reads(tmp_path, written, meant):
    cnf = tmp_path / "my.cnf"
    cnf.write_text("[client]\npassword=%s\n" % written, encoding="utf-8")
    assert client_reads(cnf, "client") == "--password=%s\n" % meant


@needs_client
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab#'\"\\ \t\r\v\f;=sntbq\u20ac\u00e0\u00a0", max_size=14))
def test_any_value_reads_as_my_print_defaults_reads_it(tmp_path_factory, written):
    cnf = tmp_path_factory.mktemp("fuzz") / "my.cnf"
    cnf.write_text("[client]\npassword=%s\n" % written, encoding="utf-8")
    assert entries_as_printed(cnf, "client") == client_reads(cnf, "client")


@needs_client
def test_a_whole_file_with_groups_and_includes_reads_as_my_print_defaults_reads_it(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "2.cnf").write_text("[client]\nhost=two\n[mysqlha]\nport=2\n")
    (tmp_path / "d" / "1.cnf").write_text("[Client]\nhost = one # comment\n")
    cnf = tmp_path / "my.cnf"
    cnf.write_text("[mysqlha]\nuser=u1\n[client]\r\nuser = \"u 2\" # c\r\npassword\nssl-ca='/x y'\n"
                   "! includedir %s\n[other]\nuser=no\n[client] trailing\n  key with spaces = v\n=\n"
                   % (tmp_path / "d"))
    assert entries_as_printed(cnf, "client", "mysqlha") == client_reads(cnf, "client", "mysqlha")


def test_garbage_option_file_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "bad.cnf"
    bad.write_bytes(b"user=x\n[client\n")
    with pytest.raises(ConfigError, match="bad.cnf"):
        read_option_file(str(bad))


@pytest.mark.parametrize("kw,message", [
    (dict(ssl_mode="verify_ca"), "needs ssl_ca"),
    (dict(ssl_mode="bogus"), "ssl_mode must be one of"),
    (dict(ssl_mode="disabled", ssl_ca="/etc/hostname"), "contradicts"),
    (dict(ssl_cert="/etc/hostname"), "go together"),
    (dict(ssl_ca="/nonexistent/ca.pem"), "does not exist"),
    (dict(port="abc"), "port must be a number"),
])
def test_contradictory_or_incomplete_tls_and_port_options_are_refused(kw, message):
    with pytest.raises(ConfigError, match=message):
        params(host="db1", **kw)


@pytest.mark.parametrize("option", ["connect_timeout", "read_timeout"])
@pytest.mark.parametrize("value", [0, -1, 1e11, 3600.5, "abc", math.nan, True])
def test_a_timeout_outside_0_to_3600_seconds_is_a_config_error_naming_the_option(option, value):
    with pytest.raises(ConfigError) as info:
        params(host="db1", **{option: value})
    assert option in str(info.value) and repr(value) in str(info.value)


def test_timeouts_within_range_are_seconds_and_read_timeout_follows_connect_timeout():
    resolved = params(host="db1", connect_timeout="2.5")
    assert (resolved.connect_timeout, resolved.read_timeout) == (2.5, 2.5)
    resolved = params(host="db1", connect_timeout=3600, read_timeout=0.1)
    assert (resolved.connect_timeout, resolved.read_timeout) == (3600.0, 0.1)
    assert params(host="db1").connect_timeout == 5.0


def test_ssl_ca_alone_means_verify_ca_like_the_mysql_client(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert params(host="db1", ssl_ca=str(ca)).ssl_mode == "verify_ca"
    assert params(host="db1").ssl_mode == "preferred"


def test_a_non_pem_ca_file_is_a_clear_config_error(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("this is not a certificate")
    with pytest.raises(ConfigError, match="cannot load TLS files"):
        connect(params(host="127.0.0.1", port=1, ssl_ca=str(ca)))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nobody_listening_is_refused():
    port = _free_port()
    with pytest.raises(ConnectError) as info:
        connect(params(host="127.0.0.1", port=port, connect_timeout=1))
    assert info.value.kind == "refused" and f"127.0.0.1:{port}" in str(info.value)


def test_a_listener_that_never_sends_a_handshake_is_hung_not_refused():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)  # the kernel accepts; nobody ever speaks: a frozen server
    try:
        with pytest.raises(ConnectError) as info:
            connect(params(host="127.0.0.1", port=listener.getsockname()[1], connect_timeout=0.5))
        assert info.value.kind == "hung"
        assert "no MySQL handshake" in str(info.value)
    finally:
        listener.close()


def test_a_server_that_closes_during_the_handshake_is_lost():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)

    def close_at_once():
        conn, _peer = listener.accept()
        conn.close()

    thread = threading.Thread(target=close_at_once, daemon=True)
    thread.start()
    try:
        with pytest.raises(ConnectError) as info:
            connect(params(host="127.0.0.1", port=listener.getsockname()[1], connect_timeout=2))
        assert info.value.kind in ("lost", "error")
        assert info.value.kind != "hung"
    finally:
        thread.join(2)
        listener.close()


def test_an_unresolvable_host_is_unreachable():
    with pytest.raises(ConnectError) as info:
        connect(params(host="no-such-host.invalid", port=3306, connect_timeout=1))
    assert info.value.kind == "unreachable"
    assert "no-such-host.invalid:3306" in str(info.value)


def test_a_host_name_that_is_no_host_name_is_unreachable_not_a_crash():
    from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import gather_members

    params = resolve_params(ConnectionParams(host="a" * 64, port=3306, config_file=os.devnull, connect_timeout=1))
    facts = list(gather_members([params]).values())[0]
    assert facts["reachable"] is False and facts["reachability"] == "unreachable"
    assert "not a valid host name" in facts["error"]


@pytest.mark.parametrize("option,value,message", [
    ("connect_timeout", 10 ** 400, "connect_timeout must be a number"),
    ("connect_timeout", 1e-300, "from 0.001 to 3600"),
    ("port", float("inf"), "port must be a whole number"),
    ("port", True, "whole number"),
    ("port", 3306.9, "whole number"),
    ("config_file", "/tmp/a\0b", "NUL"),
    ("ssl_ca", ["/etc/ca.pem"], "ssl_ca must be text"),
])
def test_odd_option_values_are_refused_naming_the_option(option, value, message):
    with pytest.raises(ConfigError, match=message):
        resolve_params(ConnectionParams(**{"host": "127.0.0.1", "config_file": os.devnull, option: value}))


def test_option_files_that_are_fifos_devices_huge_or_include_bombs_are_refused(tmp_path):
    os.mkfifo(tmp_path / "fifo.cnf")
    with pytest.raises(ConfigError, match="not a regular file"):
        read_option_file(str(tmp_path / "fifo.cnf"))
    with pytest.raises(ConfigError, match="not a regular file"):
        read_option_file("/dev/zero")
    (tmp_path / "huge.cnf").write_bytes(b"#" * (2 * 1024 * 1024))
    with pytest.raises(ConfigError, match="limited to"):
        read_option_file(str(tmp_path / "huge.cnf"))
    (tmp_path / "inc.cnf").write_text(f"!include {tmp_path / 'fifo.cnf'}\n")
    with pytest.raises(ConfigError, match="not a regular file"):
        read_option_file(str(tmp_path / "inc.cnf"))
    for level in range(9):   # 10 includes of the next level each: 10^8 reads without a budget
        (tmp_path / f"l{level}.cnf").write_text(f"!include {tmp_path / f'l{level + 1}.cnf'}\n" * 10)
    (tmp_path / "l9.cnf").write_text("[client]\nuser=x\n")
    with pytest.raises(ConfigError, match="include bomb"):
        read_option_file(str(tmp_path / "l0.cnf"))
