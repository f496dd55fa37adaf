"""The ``mysqlha`` command."""
from __future__ import annotations

import argparse
import json
import sys

from ansible_collections.dbaops.mysql_ha.engine.lab import Lab, LabError, default_lab_dir
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import MysqlhaError


def _lab_parser(sub: argparse._SubParsersAction) -> None:
    lab = sub.add_parser("lab", help="local real MariaDB topologies on loopback ports")
    lab_sub = lab.add_subparsers(dest="lab_command", required=True)
    up = lab_sub.add_parser("up", help="start a primary with GTID replicas and/or a Galera cluster")
    up.add_argument("--replicas", type=int, default=2, help="number of GTID replicas (default 2)")
    up.add_argument("--semi-sync", action="store_true", help="enable semi-sync on every node")
    up.add_argument("--delayed", type=int, metavar="SECONDS", help="add a replica delayed by SECONDS")
    up.add_argument("--galera", type=int, default=0, metavar="N", help="also start an N-node Galera cluster")
    up.add_argument("--no-replication", action="store_true", help="start no primary/replicas (Galera only)")
    up.add_argument("--tls", action="store_true", help="serve TLS from a CA made for the lab (tls/ca.pem)")
    for name, help_text in (("down", "stop every server the lab started"), ("status", "show the lab's servers"),
                            ("inventory", "print the lab as Ansible variables (YAML)")):
        lab_sub.add_parser(name, help=help_text)
    for parser in lab_sub.choices.values():
        parser.add_argument("--dir", default=None, help=f"lab directory (default $MYSQLHA_LAB_DIR or {default_lab_dir()})")
        parser.add_argument("--json", action="store_true", help="print JSON")


def lab_inventory(lab: Lab) -> dict:
    """Variables a playbook needs to reach the lab (no password: client.cnf holds it)."""
    replication = [n.address for n in lab.nodes if n.role in ("primary", "replica")]
    galera = [n.address for n in lab.nodes if n.role == "galera"]
    return {"mysqlha_lab_dir": lab.base, "mysqlha_config_file": lab.client_file,
            "mysqlha_replication_members": replication, "mysqlha_galera_members": galera,
            "mysqlha_nodes": {n.name: n.address for n in lab.nodes}}


def _print_status(lab: Lab, as_json: bool) -> None:
    rows = lab.status()
    if as_json:
        print(json.dumps({"dir": lab.base, "topology": lab.topology, "nodes": rows}, indent=2))
        return
    if not rows:
        print(f"no lab in {lab.base}")
        return
    print(f"lab {lab.base}  (login: {lab.client_file})")
    for row in rows:
        print(f"  {row['name']:<10} {row['role']:<8} {row['address']:<22} pid {row['pid'] or '-':<8} {row['state']}")


def run_lab(args: argparse.Namespace) -> int:
    lab = Lab(args.dir)
    if args.lab_command == "up":
        lab.up(replicas=args.replicas, semi_sync=args.semi_sync, delayed=args.delayed, galera=args.galera,
               replication=not args.no_replication, tls=args.tls)
        _print_status(lab, args.json)
        if not args.json:
            print(f"started in {lab.topology['seconds_to_start']}s")
    elif args.lab_command == "down":
        stopped = lab.down()
        print(json.dumps({"stopped": stopped}) if args.json else f"stopped: {', '.join(stopped) or 'nothing running'}")
    elif args.lab_command == "status":
        _print_status(lab, args.json)
    elif args.lab_command == "inventory":
        import yaml

        print(yaml.safe_dump(lab_inventory(lab), sort_keys=False), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mysqlha", description="MySQL/MariaDB HA facts, analysis and rules")
    sub = parser.add_subparsers(dest="command", required=True)
    _lab_parser(sub)
    demo = sub.add_parser("demo", help="the main job on a local lab: facts, a fault, its detection")
    demo.add_argument("--dir", default=None, help="lab directory")
    demo.add_argument("--keep", action="store_true", help="leave the lab running afterwards")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "lab":
            return run_lab(args)
        if args.command == "demo":
            from ansible_collections.dbaops.mysql_ha.engine.demo import run_demo

            return run_demo(args.dir, keep=args.keep)
    except (LabError, MysqlhaError) as exc:
        print(f"mysqlha: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
