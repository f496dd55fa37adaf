"""``mysqlha lab``: real MariaDB servers on loopback for the demo and the tests (docs/lab.md)."""
from __future__ import annotations

import argparse
import json
import sys

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab, default_lab_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    lab = sub.add_parser("lab", help="real MariaDB topologies on loopback (or hosts of their own), and faults to inject")
    lab_sub = lab.add_subparsers(dest="lab_command", required=True)
    up = lab_sub.add_parser("up", help="start a primary with GTID replicas and/or a Galera cluster")
    up.add_argument("--replicas", type=int, default=2, help="number of GTID replicas (default 2)")
    up.add_argument("--semi-sync", action="store_true", help="enable semi-sync on every node")
    up.add_argument("--delayed", type=int, metavar="SECONDS", help="add a replica delayed by SECONDS")
    up.add_argument("--galera", type=int, default=0, metavar="N", help="also start an N-node Galera cluster")
    up.add_argument("--no-replication", action="store_true", help="start no primary/replicas (Galera only)")
    up.add_argument("--tls", action="store_true", help="serve TLS from a CA made for the lab (tls/ca.pem)")
    up.add_argument("--keep-install-accounts", action="store_true",
                    help="keep the accounts mariadb-install-db makes (root@127.0.0.1, root@::1 ... with empty passwords "
                         "and no recorded password change), like a server nobody has secured yet")
    up.add_argument("--own-host", action="append", default=[], metavar="NODE",
                    help="run NODE (primary, replicaN) on a host of its own (a network namespace, root only) so "
                         "`lab silence` can cut it off; repeat for more nodes")
    for name, help_text in (("down", "stop every server the lab started"), ("status", "show the lab's servers"),
                            ("inventory", "print the lab as Ansible variables (YAML)")):
        lab_sub.add_parser(name, help=help_text)
    for name, help_text in (("freeze", "SIGSTOP a node: alive to TCP, no answer"),
                            ("thaw", "undo a node's faults: SIGCONT, release its flood, lift its silence"),
                            ("kill", "SIGKILL a node"),
                            ("restart", "restart a node on its own data and options (shut down cleanly "
                                        "first if it runs); reads the fragments in its conf.d")):
        fault = lab_sub.add_parser(name, help=help_text)
        fault.add_argument("node", help="node name (see lab status)")
    flood = lab_sub.add_parser("flood", help="hold N idle TCP connections to a node (released by thaw or down)")
    flood.add_argument("node", help="node name (see lab status)")
    flood.add_argument("count", type=int, help="connections (1..10000)")
    silence = lab_sub.add_parser("silence", help="make a node's own host answer nothing on any port (undone by thaw)")
    silence.add_argument("node", help="a node started with --own-host")
    silence.add_argument("--keep", action="append", default=[], metavar="NODE",
                         help="a node with a host of its own that still reaches it (a partition); repeatable")
    for parser in lab_sub.choices.values():
        parser.add_argument("--dir", default=None, help=f"lab directory (default $MYSQLHA_LAB_DIR or {default_lab_dir()})")
        parser.add_argument("--json", action="store_true", help="print JSON")


def lab_inventory(lab: Lab) -> dict:
    """Variables a playbook needs to reach the lab (no password: client.cnf holds it)."""
    replication = [n.address for n in lab.nodes if n.role in ("primary", "replica")]
    galera = [n.address for n in lab.nodes if n.role == "galera"]
    return {"mysqlha_lab_dir": lab.base, "mysqlha_config_file": lab.client_file,
            "mysqlha_replication_members": replication, "mysqlha_galera_members": galera,
            "mysqlha_nodes": {n.name: n.address for n in lab.nodes},
            # Each node reads the option files here at its next `mysqlha lab restart NODE`.
            "mysqlha_lab_conf_dirs": {n.name: n.conf_dir for n in lab.nodes if n.role != "galera"}}


def _print_status(lab: Lab, as_json: bool) -> int:
    rows = lab.status()
    if as_json:
        print(json.dumps({"dir": lab.base, "topology": lab.topology, "nodes": rows}, indent=2))
        return 0 if rows else 1
    if not rows:
        print(f"no lab in {lab.base}", file=sys.stderr)
        return 1
    floods = lab.topology.get("floods") or {}
    silenced = lab.topology.get("silenced") or {}
    print(f"lab {lab.base}  (login: {lab.client_file})")
    shown = {"frozen": "frozen (SIGSTOP: alive, not answering)", "stopped": "stopped (lab down)",
             "silent": "silent (its host answers nothing: lab silence)"}
    for row in rows:
        state = shown.get(row["state"], row["state"])
        if row["state"] == "dead":
            state = f"dead (not running: killed or crashed; see {row['error_log']})"
        if silenced.get(row["name"]):
            state += f"; still reached by {', '.join(silenced[row['name']])}"
        if row["name"] in floods:
            state += f"; flooded (holder pid {floods[row['name']]})"
        print(f"  {row['name']:<10} {row['role']:<8} {row['address']:<22} pid {row['pid'] or '-':<8} {state}")
    return 0


def run_lab(args: argparse.Namespace) -> int:
    lab = Lab(args.dir)
    if args.lab_command == "up":
        lab.up(replicas=args.replicas, semi_sync=args.semi_sync, delayed=args.delayed, galera=args.galera,
               replication=not args.no_replication, tls=args.tls, keep_install_accounts=args.keep_install_accounts,
               own_hosts=tuple(args.own_host))
        _print_status(lab, args.json)
        if not args.json:
            print(f"started in {lab.topology['seconds_to_start']}s")
    elif args.lab_command == "down":
        stopped = lab.down()
        print(json.dumps({"stopped": stopped}) if args.json else f"stopped: {', '.join(stopped) or 'nothing running'}")
    elif args.lab_command == "status":
        return _print_status(lab, args.json)
    elif args.lab_command in ("freeze", "thaw", "kill", "restart"):
        getattr(lab, args.lab_command)(args.node)
        print(f"{args.lab_command}: {args.node}")
    elif args.lab_command == "flood":
        pid = lab.flood(args.node, args.count)
        print(f"flood: {args.count} idle connections to {args.node} held by pid {pid} (released by thaw or down)")
    elif args.lab_command == "silence":
        lab.silence(args.node, keep=tuple(args.keep))
        kept = f" (still reached by {', '.join(args.keep)})" if args.keep else ""
        print(f"silence: {args.node}'s host answers nothing{kept}; `lab thaw {args.node}` undoes it")
    elif args.lab_command == "inventory":
        import yaml

        if not lab.nodes:
            print(f"mysqlha lab inventory: no lab in {lab.base} (start one with: mysqlha lab up --dir {lab.base})",
                  file=sys.stderr)
            return 1
        # The Python mysqlha runs on has PyMySQL: a play on localhost should use it, not whatever
        # Ansible's interpreter discovery finds first (a version shim, a Python without PyMySQL).
        variables = dict(lab_inventory(lab), ansible_python_interpreter=sys.executable)
        print(yaml.safe_dump(variables, sort_keys=False), end="")
    return 0
