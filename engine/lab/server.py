"""One lab MariaDB server: its files, its process, and nothing else.

A lab server lives entirely under its own directory (data, socket, pid file,
error log, option file), listens on 127.0.0.1 only, and is stopped by the PID
it was started with after checking that the PID still runs our datadir.
"""
from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import (
    ConnectionParams,
    Session,
    connect,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConnectError, MysqlhaError

ADMIN_USER = "mysqlha_admin"
REPL_USER = "mysqlha_repl"
GALERA_PROVIDER = "/usr/lib/galera/libgalera_smm.so"
# Files a complete mariadb-install-db leaves in mysql/; a flaky run under load
# can exit 0 with some of them missing.
TEMPLATE_MARKERS = (
    "mysql/global_priv.frm", "mysql/db.frm", "mysql/proc.frm", "mysql/tables_priv.frm",
    "mysql/gtid_slave_pos.frm", "mysql/gtid_slave_pos.ibd", "mysql/innodb_index_stats.ibd",
    "mysql/transaction_registry.ibd", "ibdata1",
)


# Servers started by this process, by PID, so they can be reaped (no zombies).
_CHILDREN: dict[int, subprocess.Popen] = {}


class LabError(MysqlhaError):
    """The lab could not do what was asked; the message says which node and why."""


def find_binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
        if found:
            return found
    raise LabError(f"{' / '.join(names)} not found: install the server with "
                   "`apt-get install -y mariadb-server galera-4 rsync`")


def free_ports(count: int, taken: set[int] | None = None) -> list[int]:
    """Ports free on 127.0.0.1 right now (the caller retries on a lost race)."""
    ports: list[int] = []
    holders = []
    taken = set(taken or ())
    while len(ports) < count:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        holders.append(sock)
        if port not in taken and port not in ports:
            ports.append(port)
    for sock in holders:
        sock.close()
    return ports


@dataclass
class Node:
    """A lab server as recorded in lab.json (no password here: see client.cnf)."""

    name: str
    role: str
    server_id: int
    port: int
    dir: str
    pid: int | None = None
    galera_port: int | None = None
    ist_port: int | None = None
    sst_port: int | None = None
    extra: dict = field(default_factory=dict)
    # Stopped on purpose (``lab down``, ``Lab.down_node``), as opposed to killed or crashed.
    stopped: bool = False
    # The address it listens on: 127.0.0.1, or its own host's (see hostnet.py).
    host: str = "127.0.0.1"
    # The network namespace of its own host, if it has one.
    netns: str | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def datadir(self) -> str:
        return os.path.join(self.dir, "data")

    @property
    def socket(self) -> str:
        return os.path.join(self.dir, "mysqld.sock")

    @property
    def error_log(self) -> str:
        return os.path.join(self.dir, "error.log")

    @property
    def option_file(self) -> str:
        return os.path.join(self.dir, "my.cnf")

    @property
    def conf_dir(self) -> str:
        """Included by the option file: fragments here are read at the next restart."""
        return os.path.join(self.dir, "conf.d")

    def to_dict(self) -> dict:
        data = asdict(self)
        data["address"] = self.address
        return data


def pid_runs_datadir(pid: int | None, datadir: str) -> bool:
    """True when ``pid`` is alive and is the server of ``datadir``."""
    if not pid:
        return False
    own = _CHILDREN.get(pid)
    if own is not None:
        # Started by this process: between fork and exec /proc still shows
        # our own command line, so ask the Popen object instead.
        return own.poll() is None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[0] == "Z":
        return False
    # The command line names the node's option file, which sits beside its datadir.
    return os.path.dirname(datadir) in cmdline


def process_state(pid: int | None) -> str | None:
    """The kernel's one-letter state (R, S, T for stopped, ...) or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, TypeError):
        return None


def write_client_file(path: str, user: str, password: str) -> None:
    """A [client] option file readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"[client]\nuser={user}\npassword={password}\n")


def build_template(base: str, log: list[str], attempts: int = 3, keep_install_accounts: bool = False,
                   client_hosts: tuple[str, ...] = ()) -> dict:
    """mariadb-install-db once, verified, with the lab accounts created.

    Returns the generated secrets (admin and replication passwords).  A
    half-made datadir (missing system tables) is wiped and made again.
    ``keep_install_accounts`` leaves the accounts mariadb-install-db made as it
    made them (see ``create_lab_accounts``).  ``client_hosts``: more host patterns
    the lab accounts log in from (the lab's own hosts' network).
    """
    install_db = find_binary("mariadb-install-db", "mysql_install_db")
    template = os.path.join(base, "template")
    secrets_out = {"admin": secrets.token_urlsafe(18), "repl": secrets.token_urlsafe(18)}
    last_error = ""
    for attempt in range(1, attempts + 1):
        shutil.rmtree(template, ignore_errors=True)
        os.makedirs(template)
        datadir = os.path.join(template, "data")
        cmd = [install_db, "--no-defaults", f"--datadir={datadir}", "--auth-root-authentication-method=normal",
               "--skip-test-db", "--innodb-log-file-size=8M", "--innodb-buffer-pool-size=16M"]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        missing = [m for m in TEMPLATE_MARKERS if not os.path.exists(os.path.join(datadir, m))]
        if proc.returncode != 0 or missing:
            last_error = (f"mariadb-install-db attempt {attempt}: exit {proc.returncode}, "
                          f"missing {missing or 'nothing'}: {proc.stderr.strip()[-300:]}")
            log.append(last_error)
            continue
        node = Node(name="template", role="template", server_id=1, port=0, dir=template)
        try:
            start_server(node, ["skip-networking", "skip-log-bin"], die_with_parent=True)
            wait_ready(node, timeout=60, params=root_socket_params(node))
            with connect(root_socket_params(node)) as session:
                create_lab_accounts(session, secrets_out, keep_install_accounts=keep_install_accounts,
                                    client_hosts=client_hosts)
            stop_server(node, timeout=60)
            return secrets_out
        except (LabError, MysqlhaError) as exc:
            last_error = f"template server attempt {attempt}: {exc}"
            log.append(last_error)
            stop_server(node, timeout=10)
    raise LabError(f"could not build a MariaDB template datadir under {template} after {attempts} attempts; "
                   f"last: {last_error}")


def create_lab_accounts(session: Session, passwords: dict, keep_install_accounts: bool = False,
                        client_hosts: tuple[str, ...] = ()) -> None:
    """The lab's admin and replication accounts (bound parameters for secrets).

    ``keep_install_accounts`` skips the clean-up below: root@localhost,
    root@127.0.0.1, root@::1 and root@<hostname> stay as mariadb-install-db
    made them (empty passwords, no recorded password change time), like a
    server nobody has secured yet.  For tests of what hardening does to them.
    """
    for host in ("localhost", "127.0.0.1", *client_hosts):
        session.execute("CREATE USER %s@%s IDENTIFIED BY %s", (ADMIN_USER, host, passwords["admin"]))
        session.execute("GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION", (ADMIN_USER, host))
    for host in ("127.0.0.1", *client_hosts):
        session.execute("CREATE USER %s@%s IDENTIFIED BY %s", (REPL_USER, host, passwords["repl"]))
        session.execute("GRANT REPLICATION SLAVE ON *.* TO %s@%s", (REPL_USER, host))
    if keep_install_accounts:
        return
    # root keeps unix_socket login only: the lab never hands out a blank password.
    # mariadb-install-db also makes root@127.0.0.1, root@::1 and root@<hostname>
    # with empty passwords; they go, as do anonymous accounts if any.
    session.execute("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket")
    for row in session.query("SELECT User, Host FROM mysql.user WHERE (User = 'root' AND Host <> 'localhost') OR User = ''"):
        session.execute("DROP USER %s@%s", (row["User"], row["Host"]))


def root_socket_params(node: Node) -> ConnectionParams:
    return ConnectionParams(unix_socket=node.socket, user="root", password="", connect_timeout=5,
                            read_timeout=30, ssl_mode="disabled", config_file="/dev/null")


def option_text(node: Node, options: list[str]) -> str:
    lines = ["[mariadbd]", f"datadir={node.datadir}", f"socket={node.socket}",
             f"pid-file={os.path.join(node.dir, 'mysqld.pid')}", f"log-error={node.error_log}",
             "innodb-buffer-pool-size=32M", "innodb-log-file-size=8M", "skip-name-resolve",
             "performance-schema=OFF", "max-connections=60", "innodb-flush-log-at-trx-commit=2",
             "sync-binlog=0", "key-buffer-size=1M", "thread-cache-size=4"]
    if node.port:
        lines += [f"port={node.port}", f"bind-address={node.host}"]
    if os.geteuid() == 0:
        lines.append("user=root")
    lines += options
    # Option files a play writes for this node (hardening, TLS), read at the next restart.
    lines.append(f"!includedir {node.conf_dir}")
    return "\n".join(lines) + "\n"


_PR_SET_PDEATHSIG = 1


def set_parent_death_signal() -> None:
    """In the child before exec: the kernel sends SIGKILL when our parent dies."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def start_server(node: Node, options: list[str] | None, args: tuple[str, ...] = (), die_with_parent: bool = False) -> None:
    """Write the option file and start mariadbd in the background.

    ``die_with_parent`` (tests) ties the server's life to this process, so a
    test run that is killed cannot leave servers behind; ``mysqlha lab up``
    leaves it off, since its servers must outlive the command.
    """
    mariadbd = find_binary("mariadbd", "mysqld")
    os.makedirs(node.dir, exist_ok=True)
    os.makedirs(node.conf_dir, exist_ok=True)
    if options is not None:   # None: start again with the option file it had (a restart)
        Path(node.option_file).write_text(option_text(node, options))
    log = open(node.error_log, "ab")
    # A node on a host of its own runs in that host's network namespace (`ip netns exec`
    # execs mariadbd in place, so the PID is the server's).
    prefix = ["ip", "netns", "exec", node.netns] if node.netns else []
    proc = subprocess.Popen([*prefix, mariadbd, f"--defaults-file={node.option_file}", *args],
                            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=set_parent_death_signal if die_with_parent else None)
    log.close()
    node.pid = proc.pid
    node.stopped = False
    # Reap the child whenever it exits so it never lingers as a zombie.
    _CHILDREN[proc.pid] = proc


def _reap(pid: int | None) -> None:
    proc = _CHILDREN.get(pid or -1)
    if proc is not None and proc.poll() is not None:
        _CHILDREN.pop(pid or -1, None)


def tail(path: str, lines: int = 8) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no error log)"


def wait_ready(node: Node, timeout: float, params: ConnectionParams) -> None:
    """Wait until the server answers on its socket; fail early if it died."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        _reap(node.pid)
        if not pid_runs_datadir(node.pid, node.datadir):
            raise LabError(f"{node.name} ({node.address}) exited during start-up; "
                           f"last lines of {node.error_log}:\n{tail(node.error_log)}")
        if os.path.exists(node.socket):
            try:
                with connect(params) as session:
                    session.query("SELECT 1")
                    return
            except ConnectError as exc:
                last = str(exc)
        time.sleep(0.05)
    raise LabError(f"{node.name} ({node.address}) not ready after {timeout:.0f}s ({last}); "
                   f"see {node.error_log}:\n{tail(node.error_log)}")


def stop_server(node: Node, timeout: float = 30) -> bool:
    """Stop a server this lab started: SIGCONT (it may be frozen), SIGTERM, then SIGKILL."""
    pid = node.pid
    if pid is None or not pid_runs_datadir(pid, node.datadir):
        _reap(pid)
        return False
    for sig in (signal.SIGCONT, signal.SIGTERM):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _reap(pid)
        if not pid_runs_datadir(pid, node.datadir):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    for _attempt in range(100):
        _reap(pid)
        if not pid_runs_datadir(pid, node.datadir):
            break
        time.sleep(0.05)
    return True
