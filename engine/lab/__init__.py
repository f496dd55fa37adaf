"""``mysqlha lab``: real MariaDB topologies on loopback ports, for the demo and the tests.

A lab is a directory.  ``lab.json`` records what was started (names, ports,
PIDs; never a password); ``client.cnf`` (mode 0600) holds the lab admin
login; ``repl.cnf`` the replication login.  ``Lab.down()`` stops exactly the
processes recorded there, and only while they still run the lab's datadirs.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import pwd
import reprlib
import shlex
import shutil
import socket
import time
from pathlib import Path

from ansible_collections.dbaops.mysql_ha.engine.bounded_read import FileTooLarge, NotRegularFile, read_regular_file
from ansible_collections.dbaops.mysql_ha.engine.lab import hostnet
from ansible_collections.dbaops.mysql_ha.engine.lab.faults import LabFaults
from ansible_collections.dbaops.mysql_ha.engine.lab.server import (
    ADMIN_USER,
    GALERA_PROVIDER,
    REPL_USER,
    LabError,
    Node,
    build_template,
    free_ports,
    pid_runs_datadir,
    process_state,
    start_server,
    stop_server,
    tail,
    wait_ready,
    write_client_file,
)
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import (
    ConnectionParams,
    Session,
    connect,
    read_option_file,
)

__all__ = ["Lab", "LabError", "Node", "default_lab_dir"]


def default_lab_dir() -> str:
    return os.environ.get("MYSQLHA_LAB_DIR") or os.path.abspath(".mysqlha-lab")


MAX_LAB_JSON_BYTES = 16 * 1024 * 1024
ROLES = ("primary", "replica", "galera")
MAX_PID = 1 << 22   # the kernel's pid_max cannot be higher


def read_lab_json(where: str) -> bytes:
    """lab.json's bytes: a regular file only (a FIFO is not waited on, a device not read), at
    most MAX_LAB_JSON_BYTES read (a sparse 6 GB file costs no more than that)."""
    try:
        return read_regular_file(where, MAX_LAB_JSON_BYTES)
    except NotRegularFile:
        raise ValueError("not a regular file (a FIFO, device or directory)") from None
    except FileTooLarge:
        raise ValueError(f"more than {MAX_LAB_JSON_BYTES} bytes") from None


def _shown(value) -> str:
    """A value read from lab.json, for a message: its repr, bounded."""
    return reprlib.repr(value)


def _is_int(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def node_problem(node: Node) -> str | None:
    """What is wrong with a node read from lab.json (the field and why), or None.  Every field
    the lab acts on is checked before anything is done with it."""
    if not isinstance(node.role, str) or node.role not in ROLES:
        return f"role {_shown(node.role)} is not one of {', '.join(ROLES)}"
    if not _is_int(node.server_id, 0, 2**32 - 1):
        return f"server_id {_shown(node.server_id)} is not a whole number from 0 to {2**32 - 1}"
    for name in ("port", "galera_port", "ist_port", "sst_port"):
        value = getattr(node, name)
        if (value is not None or name == "port") and not _is_int(value, 1, 65535):
            return f"{name} {_shown(value)} is not a port (a whole number from 1 to 65535)"
    if node.pid is not None and not _is_int(node.pid, 1, MAX_PID):
        return f"pid {_shown(node.pid)} is not a process id (a whole number from 1 to {MAX_PID})"
    if not isinstance(node.stopped, bool):
        return f"stopped {_shown(node.stopped)} is not true or false"
    if not isinstance(node.extra, dict):
        return f"extra {_shown(node.extra)} is not a mapping"
    if node.extra.get("delay") is not None and not _is_int(node.extra["delay"], 0, 86400):
        return f"extra.delay {_shown(node.extra['delay'])} is not a whole number of seconds from 0 to 86400"
    if node.netns is not None and not (isinstance(node.netns, str) and hostnet.is_lab_netns(node.netns)):
        return f"netns {_shown(node.netns)} is not a namespace the lab makes"
    if not isinstance(node.host, str):
        return f"host {_shown(node.host)} is not an address"
    if not (_loopback(node.host) or (node.netns is not None and hostnet.is_lab_address(node.host))):
        return (f"host {node.host[:60]!r} is not a loopback address (127.x, ::1, localhost) or the address of a "
                "host of the lab's own")
    return None


class Lab(LabFaults):
    """A set of lab servers under one directory."""

    def __init__(self, base: str | None = None, die_with_parent: bool = False):
        self.base = os.path.abspath(base or default_lab_dir())
        self.die_with_parent = die_with_parent
        self.nodes: list[Node] = []
        self.topology: dict = {}
        self.log: list[str] = []
        self._load()

    # ---- state -----------------------------------------------------------
    @property
    def state_file(self) -> str:
        return os.path.join(self.base, "lab.json")

    @property
    def client_file(self) -> str:
        """Option file with the admin login ([client] user/password)."""
        return os.path.join(self.base, "client.cnf")

    def _load(self) -> None:
        """Read lab.json; a damaged one is a LabError naming what is wrong, never a traceback."""
        if os.path.isdir(self.base) is False and os.path.exists(self.base):
            raise LabError(f"{self.base} is not a directory (a lab lives in a directory of its own)")
        if not os.path.lexists(self.state_file):
            return
        where = self.state_file
        try:
            data = json.loads(read_lab_json(where).decode("utf-8"))
        except (OSError, ValueError, RecursionError, MemoryError) as exc:
            raise LabError(f"{where}: not a lab record ({type(exc).__name__}: {str(exc)[:120]}); "
                           "remove the directory if it holds nothing of yours") from None
        if not isinstance(data, dict) or not isinstance(data.get("nodes", []), list) \
                or not isinstance(data.get("topology", {}), dict):
            raise LabError(f"{where}: expected {{\"topology\": {{...}}, \"nodes\": [...]}}")
        known = {f.name for f in dataclasses.fields(Node)}
        nodes = []
        for index, raw in enumerate(data.get("nodes", [])):
            try:
                node = Node(**{k: v for k, v in raw.items() if k in known})
            except (AttributeError, TypeError) as exc:
                raise LabError(f"{where}: nodes[{index}] is not a lab node ({str(exc)[:100]})") from None
            # A node's files live in <lab>/<name>: anything else would make the PID check match
            # processes that are not the lab's (an empty dir is in every command line).
            if not isinstance(node.name, str) or not isinstance(node.dir, str) or \
                    os.path.abspath(node.dir) != os.path.join(self.base, node.name) or \
                    not isinstance(node.port, int) or not (node.pid is None or isinstance(node.pid, int)):
                raise LabError(f"{where}: nodes[{index}] ({str(raw.get('name'))[:40]!r}) does not describe a node "
                               f"of this lab (its dir must be {self.base}/<name>); nothing was changed")
            problem = node_problem(node)
            if problem:
                raise LabError(f"{where}: nodes[{index}] ({node.name[:40]!r}): {problem}; nothing was changed")
            nodes.append(node)
        topology = data.get("topology", {})
        for key in ("floods", "silenced", "hostnet"):
            if topology.get(key) is not None and not isinstance(topology[key], dict):
                raise LabError(f"{where}: topology.{key} is not a mapping; nothing was changed")
        names = {n.name for n in nodes}
        for name, pid in (topology.get("floods") or {}).items():
            if name not in names or not _is_int(pid, 1, MAX_PID):
                raise LabError(f"{where}: topology.floods[{_shown(name)}] must map a node of this lab to the pid of "
                               f"its flood, got {_shown(pid)}; nothing was changed")
        for name, keep in (topology.get("silenced") or {}).items():
            if name not in names or not isinstance(keep, list) or not all(k in names for k in keep):
                raise LabError(f"{where}: topology.silenced[{_shown(name)}] must map a node of this lab to a list of "
                               f"its nodes, got {_shown(keep)}; nothing was changed")
        self.nodes, self.topology = nodes, topology

    def _save(self) -> None:
        os.makedirs(self.base, exist_ok=True)
        tmp = self.state_file + ".tmp"
        Path(tmp).write_text(json.dumps({"topology": self.topology, "nodes": [n.to_dict() for n in self.nodes]},
                                        indent=2))
        os.replace(tmp, self.state_file)

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise LabError(f"no lab node named {name!r} in {self.base} (have: {', '.join(n.name for n in self.nodes)})")

    def by_role(self, role: str) -> list[Node]:
        return [n for n in self.nodes if n.role == role]

    # ---- connecting ------------------------------------------------------
    def params(self, node: Node, **changes) -> ConnectionParams:
        """Admin connection parameters over TCP (password read from client.cnf)."""
        values = dict(host=node.host, port=node.port, config_file=self.client_file, connect_timeout=3,
                      read_timeout=10, ssl_mode="disabled")
        values.update(changes)
        login = read_option_file(self.client_file)
        values.setdefault("user", login.get("user"))
        if "password" not in changes:
            values["password"] = login.get("password")
        return ConnectionParams(**values)

    def session(self, node: Node | str, **changes) -> Session:
        if isinstance(node, str):
            node = self.node(node)
        return connect(self.params(node, **changes))

    def secret(self, name: str) -> str:
        path = self.client_file if name == "admin" else os.path.join(self.base, "repl.cnf")
        return read_option_file(path)["password"]

    # ---- lifecycle -------------------------------------------------------
    def up(self, replicas: int = 2, semi_sync: bool = False, delayed: int | None = None,
           galera: int = 0, replication: bool = True, tls: bool = False,
           tls_names: tuple[str, ...] = ("localhost", "127.0.0.1"), keep_install_accounts: bool = False,
           own_hosts: tuple[str, ...] = ()) -> Lab:
        """Start a primary with ``replicas`` GTID replicas (and/or a Galera cluster).

        ``tls`` makes a throw-away CA under ``tls/`` and serves a certificate for
        ``tls_names`` from every replication node.  ``keep_install_accounts``
        leaves the root accounts mariadb-install-db makes (empty passwords, no
        recorded password change) instead of removing them.  ``own_hosts``: the
        replication nodes that get a host of their own (hostnet.py), which
        ``silence`` can make silent.
        """
        if any(pid_runs_datadir(n.pid, n.datadir) for n in self.nodes):
            raise LabError(f"a lab is already running in {self.base}; run `mysqlha lab down --dir "
                           f"{shlex.quote(self.base)}` first (a new lab wipes this one's data directories)")
        bounds = (("replicas", replicas, 0, 20), ("galera", galera, 0, 9), ("delayed", delayed or 0, 0, 86400))
        for what, value, low, high in bounds:
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise LabError(f"--{what}: expected a whole number from {low} to {high}, got {value!r}")
        names = (["primary"] + [f"replica{i}" for i in range(1, replicas + 1)] + (["delayed"] if delayed else [])
                 if replication else [])
        own_hosts = tuple(dict.fromkeys(own_hosts))
        if len(own_hosts) > hostnet.MAX_HOSTS:
            raise LabError(f"--own-host: at most {hostnet.MAX_HOSTS} nodes can have hosts of their own, got {len(own_hosts)}")
        for name in own_hosts:
            if name not in names:
                raise LabError(f"--own-host {name}: not a replication node of this lab (have: {', '.join(names) or 'none'}; "
                               "Galera nodes share this machine's network)")
        if own_hosts and "primary" not in own_hosts:
            raise LabError("--own-host: a replica on a host of its own reaches only the primary's own host; "
                           "give the primary one too (--own-host primary)")
        if os.path.isdir(self.base) and os.listdir(self.base) and not os.path.lexists(self.state_file):
            raise LabError(f"{self.base} is not empty and holds no lab (no lab.json): a lab wipes its directory, so it "
                           "starts only in an empty or new one, or in an old lab's")
        hostnet.remove_hosts(self.topology.get("hostnet"))   # a lab that was never brought down
        shutil.rmtree(self.base, ignore_errors=True)
        os.makedirs(self.base)
        self.nodes = []  # a lab brought down keeps its lab.json; its nodes are not this lab's
        started = time.monotonic()
        self.topology = {"replicas": replicas if replication else 0, "semi_sync": semi_sync,
                         "delayed": delayed, "galera": galera, "tls": None,
                         "keep_install_accounts": keep_install_accounts}
        try:
            clients: tuple[str, ...] = ()
            if own_hosts:
                def planned(net: dict) -> None:   # recorded before anything is made: an interrupted up is undone by down
                    self.topology["hostnet"] = net
                    self._save()

                hostnet.create_hosts(list(own_hosts), on_planned=planned)
                clients = (f"{hostnet.PREFIX}.{self.topology['hostnet']['block']}.%",)
            passwords = build_template(self.base, self.log, keep_install_accounts=keep_install_accounts,
                                       client_hosts=clients)
            write_client_file(self.client_file, ADMIN_USER, passwords["admin"])
            write_client_file(os.path.join(self.base, "repl.cnf"), REPL_USER, passwords["repl"])
            if tls:
                # cryptography (an ansible-core dependency) is imported only for a TLS lab.
                from ansible_collections.dbaops.mysql_ha.engine.lab.tls import make_lab_tls

                self.topology["tls"] = make_lab_tls(os.path.join(self.base, "tls"), list(tls_names))
            if replication:
                self._up_replication(replicas, semi_sync, delayed)
            if galera:
                self._up_galera(galera)
        except BaseException:
            self._save()
            self.down()
            raise
        self.topology["seconds_to_start"] = round(time.monotonic() - started, 2)
        self._save()
        return self

    def _node_dir(self, name: str) -> str:
        return os.path.join(self.base, name)

    def _copy_template(self, node: Node) -> None:
        shutil.copytree(os.path.join(self.base, "template", "data"), node.datadir, symlinks=True)

    def _start_all(self, nodes: list[Node], options: dict[str, list[str]]) -> None:
        for node in nodes:
            start_server(node, options[node.name], die_with_parent=self.die_with_parent)
        self._save()
        for node in nodes:
            wait_ready(node, timeout=60, params=self.params(node))

    def _up_replication(self, replicas: int, semi_sync: bool, delayed: int | None) -> None:
        count = 1 + replicas + (1 if delayed else 0)
        ports = free_ports(count, {n.port for n in self.nodes})
        names = ["primary"] + [f"replica{i}" for i in range(1, replicas + 1)] + (["delayed"] if delayed else [])
        nodes = []
        for index, (name, port) in enumerate(zip(names, ports), start=1):
            role = "primary" if name == "primary" else "replica"
            node = Node(name=name, role=role, server_id=index, port=port, dir=self._node_dir(name))
            host = self.own_host(node)
            if host is not None:
                node.host, node.netns = host["address"], host["netns"]
            if name == "delayed":
                node.extra["delay"] = delayed
            self._copy_template(node)
            nodes.append(node)
        self.nodes.extend(nodes)
        options = {}
        for node in nodes:
            opts = [f"server-id={node.server_id}", "log-bin=mariadb-bin", "log-slave-updates=ON",
                    "binlog-format=ROW", "gtid-strict-mode=ON", "gtid-domain-id=0", f"report-host={node.host}",
                    f"report-port={node.port}", "slave-net-timeout=4", "relay-log=relay-bin"]
            if semi_sync:
                opts += ["rpl-semi-sync-master-enabled=ON", "rpl-semi-sync-slave-enabled=ON",
                         "rpl-semi-sync-master-timeout=1000"]
            if node.role == "replica":
                opts.append("read-only=ON")
            if self.topology.get("tls"):
                files = self.topology["tls"]
                opts += [f"ssl-ca={files['ca']}", f"ssl-cert={files['cert']}", f"ssl-key={files['key']}"]
            options[node.name] = opts
        self._start_all(nodes, options)
        primary = nodes[0]
        repl_password = self.secret("repl")
        for node in nodes[1:]:
            with self.session(node) as session:
                delay = int(node.extra.get("delay") or 0)
                session.execute(
                    "CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%s, MASTER_USER=%s, "
                    "MASTER_PASSWORD=%s, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, "
                    "MASTER_HEARTBEAT_PERIOD=1, MASTER_DELAY=%s",
                    (primary.host, primary.port, REPL_USER, repl_password, delay))
                session.execute("START SLAVE")
        self.wait_replicating(list(nodes[1:]))

    def wait_replicating(self, nodes: list[Node], timeout: float = 30) -> None:
        """Wait until every node's IO and SQL threads run."""
        deadline = time.monotonic() + timeout
        for node in nodes:
            while True:
                with self.session(node) as session:
                    rows = session.query("SHOW ALL SLAVES STATUS")
                if rows and all(r["Slave_IO_Running"] == "Yes" and r["Slave_SQL_Running"] == "Yes" for r in rows):
                    break
                if time.monotonic() > deadline:
                    raise LabError(f"{node.name} ({node.address}) is not replicating after {timeout}s: "
                                   f"{[(r['Slave_IO_Running'], r['Last_IO_Error'], r['Last_SQL_Error']) for r in rows]}")
                time.sleep(0.1)

    def _up_galera(self, size: int) -> None:
        if not os.path.exists(GALERA_PROVIDER):
            raise LabError(f"{GALERA_PROVIDER} not found: apt-get install -y galera-4 rsync")
        if not shutil.which("rsync"):
            raise LabError("rsync not found (Galera SST): apt-get install -y rsync")
        taken = {n.port for n in self.nodes}
        ports = free_ports(size * 4, taken)
        nodes = []
        base_id = 100
        for i in range(size):
            port, gport, ist, sst = ports[i * 4:(i + 1) * 4]
            node = Node(name=f"galera{i + 1}", role="galera", server_id=base_id + i + 1, port=port,
                        dir=self._node_dir(f"galera{i + 1}"), galera_port=gport, ist_port=ist, sst_port=sst)
            nodes.append(node)
        self.nodes.extend(nodes)
        cluster = ",".join(f"127.0.0.1:{n.galera_port}" for n in nodes)
        for index, node in enumerate(nodes):
            if index == 0:
                self._copy_template(node)
            else:
                # A joiner gets its data by rsync SST.  Started by root, the
                # joiner's rsync daemon runs as "nobody": it needs an empty
                # datadir that it owns (to set the donor's modes on it).
                os.makedirs(node.datadir)
                os.chmod(node.datadir, 0o777)
                if os.geteuid() == 0:
                    nobody = pwd.getpwnam("nobody")
                    os.chown(node.datadir, nobody.pw_uid, nobody.pw_gid)
            opts = [f"server-id={node.server_id}", "binlog-format=ROW", "default-storage-engine=InnoDB",
                    "innodb-autoinc-lock-mode=2", "wsrep-on=ON", f"wsrep-provider={GALERA_PROVIDER}",
                    "wsrep-cluster-name=mysqlha-lab", f"wsrep-cluster-address=gcomm://{cluster}",
                    "wsrep-node-address=127.0.0.1", f"wsrep-node-name={node.name}",
                    f"wsrep-sst-receive-address=127.0.0.1:{node.sst_port}", "wsrep-sst-method=rsync",
                    'wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:%d;ist.recv_addr=127.0.0.1:%d;'
                    'evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.keepalive_period=PT1S;'
                    'gcache.size=16M"' % (node.galera_port, node.ist_port)]
            args = ("--wsrep-new-cluster",) if index == 0 else ()
            start_server(node, opts, args, die_with_parent=self.die_with_parent)
            self._save()
            self.wait_synced(node, timeout=90)

    def wait_synced(self, node: Node, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not pid_runs_datadir(node.pid, node.datadir):
                raise LabError(f"{node.name} ({node.address}) exited while joining Galera; "
                               f"{node.error_log}:\n{tail(node.error_log, 15)}")
            try:
                with self.session(node) as session:
                    rows = session.query("SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'")
                    last = rows[0]["Value"] if rows else ""
                    if last == "Synced":
                        return
            except Exception as exc:  # the joiner refuses logins until SST is done
                last = str(exc)
            time.sleep(0.2)
        raise LabError(f"{node.name} ({node.address}) not Synced after {timeout}s ({last}); see {node.error_log}")

    def down(self) -> list[str]:
        """Stop every server this lab started; return the names stopped.

        Every node is then recorded as stopped on purpose (lab.json), so that
        ``status`` tells it from a node that was killed or crashed.
        """
        hostnet.check_hosts(self.topology.get("hostnet"))   # a damaged record: refuse before changing anything
        stopped = []
        for node in self.nodes:
            self.unflood(node)
            if stop_server(node):
                stopped.append(node.name)
            node.stopped = True
        # The hosts go once their servers are stopped (a namespace lives while a process is in it);
        # the record goes with them, so a later down never touches what another lab may have made.
        hostnet.remove_hosts(self.topology.get("hostnet"))
        self.topology.pop("hostnet", None)
        self.topology.pop("silenced", None)
        self._save_if_present()
        return stopped

    def down_node(self, name: str) -> bool:
        """Stop one lab server cleanly (SIGTERM), as a DBA's shutdown would."""
        node = self.node(name)
        stopped = stop_server(node)
        node.stopped = True
        self._save_if_present()
        return stopped

    def restart(self, name: str, timeout: float = 60) -> None:
        """Restart a replication node on its own data and options, as ``systemctl restart`` would:
        a running (or frozen) node is shut down cleanly first; a stopped, killed or crashed one is
        started.  It reads its option file again, with the files in its ``conf.d`` (where a
        hardening role's fragments go).  Its replicas reconnect by themselves
        (MASTER_CONNECT_RETRY=1)."""
        node = self.node(name)
        if node.role == "galera":
            raise LabError(f"{name}: restarting a Galera node is not supported; run `lab up` again")
        if pid_runs_datadir(node.pid, node.datadir):
            stop_server(node)
        # A server lab.json does not know (a stale pid) would keep the datadir locked and answer
        # in the new one's place: start nothing while anything holds the node's files or port.
        occupied = self.occupied(node)
        if occupied:
            raise LabError(f"restart {name}: {occupied}, which lab.json does not record (its pid there is "
                           f"{node.pid or 'none'}); nothing was started. Stop that process, then restart again")
        start_server(node, None, die_with_parent=self.die_with_parent)
        self._save()
        # TLS when the server offers it: a hardened server may now refuse plain connections
        # (require_secure_transport in a fragment of its conf.d).
        params = self.params(node, ssl_mode="preferred")
        wait_ready(node, timeout=timeout, params=params)
        self.check_answering_pid(node, params)

    @staticmethod
    def _pid_in(path: str) -> int | None:
        """The pid a server's pid file names (a small regular file), or None."""
        try:
            text = read_lab_json(path)[:32].decode("ascii", "replace").strip()
        except (OSError, ValueError):
            return None
        return int(text) if text.isdigit() and 0 < int(text) <= MAX_PID else None

    def occupied(self, node: Node) -> str | None:
        """What still holds ``node``'s datadir, socket or port (a server lab.json lost track
        of), or None when the node can start."""
        pid = self._pid_in(os.path.join(node.dir, "mysqld.pid"))
        if pid is not None and pid_runs_datadir(pid, node.datadir):
            return f"a server (pid {pid}) still runs on its datadir {node.datadir}"
        if os.path.exists(node.socket):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(0.5)
                try:
                    probe.connect(node.socket)
                    return f"something answers on its socket {node.socket}"
                except OSError:
                    pass
        try:
            with socket.create_connection((node.host, node.port), timeout=0.5):
                return f"something listens on its address {node.address}"
        except OSError:
            return None

    def check_answering_pid(self, node: Node, params: ConnectionParams) -> None:
        """LabError unless the server answering at ``node``'s address is the one just started."""
        with connect(params) as session:
            rows = session.query("SELECT @@pid_file AS pid_file")
        answering = self._pid_in(str(rows[0]["pid_file"])) if rows else None
        if answering != node.pid:
            raise LabError(f"restart {node.name}: the server answering at {node.address} has pid "
                           f"{answering or 'unknown'}, not {node.pid}, the one just started; see {node.error_log}")
        if not pid_runs_datadir(node.pid, node.datadir):
            raise LabError(f"restart {node.name}: the server just started (pid {node.pid}) is no longer running; "
                           f"see {node.error_log}")

    def _save_if_present(self) -> None:
        """Record the nodes' state, unless the lab's directory is gone (``destroy``, a wiped lab)."""
        if self.nodes and os.path.isdir(self.base):
            self._save()

    def destroy(self) -> None:
        self.down()
        shutil.rmtree(self.base, ignore_errors=True)

    def status(self) -> list[dict]:
        """One row per node; ``state``: ``running``, ``frozen`` (SIGSTOP: alive, not answering),
        ``silent`` (its host answers nothing: ``silence``),
        ``stopped`` (on purpose: ``lab down``, ``down_node``) or ``dead`` (not running, though
        nobody stopped it: killed or crashed; see its error log)."""
        rows = []
        for node in self.nodes:
            running = pid_runs_datadir(node.pid, node.datadir)
            if running:
                state = "frozen" if process_state(node.pid) == "T" else "running"
                if node.name in (self.topology.get("silenced") or {}):
                    state = "silent" if state == "running" else state + "+silent"
            else:
                state = "stopped" if node.stopped else "dead"
            rows.append({"name": node.name, "role": node.role, "address": node.address, "pid": node.pid,
                         "state": state, "error_log": node.error_log})
        return rows
