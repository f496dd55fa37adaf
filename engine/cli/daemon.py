"""``mysqlha run`` and the commands that talk to a running daemon: ``alerts``, ``ack``, ``silence``."""
from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_URL = "http://127.0.0.1:9105"
CLIENT_COMMANDS = ("alerts", "ack", "silence")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="the daemon: poll, analyse, evaluate, alert, notify")
    run.add_argument("--config", required=True, help="engine.yml")
    run.add_argument("--shard", metavar="I/N", help="watch only the clusters whose name hashes to shard I of N (0-based)")
    run.add_argument("--check", action="store_true", help="check the config and the rules, print what would run, exit")
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    for name, help_text in (("alerts", "list a running daemon's alerts"), ("ack", "ack a firing alert"),
                            ("silence", "silence notifications for matching alerts")):
        parser = sub.add_parser(name, help=help_text)
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--url", help=f"the daemon's HTTP address (default $MYSQLHA_URL or {DEFAULT_URL}); "
                                         "the bearer token comes from $MYSQLHA_API_TOKEN")
        where.add_argument("--config", help="the daemon's engine.yml: its http.listen address, and its token from "
                                            "http.token_env when $MYSQLHA_API_TOKEN is not set")
        if name == "alerts":
            parser.add_argument("--all", action="store_true", help="resolved alerts too")
            parser.add_argument("--json", action="store_true", help="JSON lines")
        elif name == "ack":
            parser.add_argument("id", help="alert id (or fingerprint)")
            parser.add_argument("--by", default=os.environ.get("USER", "cli"), help="who acks (default $USER)")
        else:
            parser.add_argument("--match", action="append", required=True, metavar="KEY=VALUE",
                                help="rule=…, cluster=…, instance=…, severity=…, or a label; repeat to narrow")
            parser.add_argument("--for", dest="duration", default="2h", help="how long (default 2h; up to 30d)")
            parser.add_argument("--comment", default="", help="why")
            parser.add_argument("--by", default=os.environ.get("USER", "cli"))


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    match = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not match or not 0 < int(match.group(2)) <= 1000 or int(match.group(1)) >= int(match.group(2)):
        raise ValueError(f"--shard: expected I/N with 0 <= I < N <= 1000, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def run_daemon(args: argparse.Namespace) -> int:
    from ansible_collections.dbaops.mysql_ha.engine.daemon.config import ConfigProblems, load_config
    from ansible_collections.dbaops.mysql_ha.engine.daemon.monitor import in_shard
    from ansible_collections.dbaops.mysql_ha.engine.daemon.service import Service

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    shard = parse_shard(args.shard)
    try:
        config = load_config(args.config, strict=args.check)
    except ConfigProblems as exc:   # one problem a line, as `check` prints rule errors
        for problem in exc.problems:
            print(f"mysqlha run: error: {problem}", file=sys.stderr)
        print(f"mysqlha run: {len(exc.problems)} config problem(s)", file=sys.stderr)
        return 1
    if config.listen and not config.api_token and config.listen[0] not in ("127.0.0.1", "::1", "localhost"):
        print(f"mysqlha run: warning: the API listens on {config.listen[0]} without a token: anyone who reaches it "
              "can ack and silence alerts (set http.token_env)", file=sys.stderr)
    for problem in config.degraded:
        print(f"mysqlha run: error: {problem} (left out; the rest is watched; fix it and restart)", file=sys.stderr)
    watched = [c for c in config.clusters if in_shard(c.name, shard)]
    listen = f"http://{config.listen[0]}:{config.listen[1]}" if config.listen else "no HTTP"
    print(f"mysqlha run: {len(watched)} of {len(config.clusters)} clusters "
          f"({sum(len(c.members) for c in watched)} targets) every {config.interval:g}s; "
          f"channels: {', '.join(sorted(config.channels)) or 'none'}; {listen}; state {config.state_dir}", file=sys.stderr)
    if args.check:
        from ansible_collections.dbaops.mysql_ha.engine.rules.loader import PACKAGED_RULES, RuleSetError, load_rule_set

        try:
            rule_set = load_rule_set(config.rules or (["rules"] if os.path.isdir("rules") else [str(PACKAGED_RULES)]))
        except RuleSetError as exc:
            for error in exc.errors:
                print(f"mysqlha run: rules: {error}", file=sys.stderr)
            return 1
        from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import resolve_params
        from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError

        bad = []
        for cluster in watched:
            for params in cluster.members:
                try:
                    resolve_params(params)   # option files, TLS files, timeouts: what each poller will use
                except ConfigError as exc:
                    bad.append(f"clusters {cluster.name} {params.address}: {exc}")
        for problem in bad[:20]:
            print(f"mysqlha run: {problem}", file=sys.stderr)
        if bad:
            return 1
        print(f"mysqlha run: config and {len(rule_set.rules)} rules are valid", file=sys.stderr)
        return 0
    Service(config, shard).run()
    return 0


def daemon_address(args: argparse.Namespace) -> tuple[str, str | None]:
    """(base URL, bearer token) from --url, --config (engine.yml), $MYSQLHA_URL or the default."""
    token = os.environ.get("MYSQLHA_API_TOKEN")
    if args.url:
        return args.url.rstrip("/"), token
    if args.config:
        from ansible_collections.dbaops.mysql_ha.engine.daemon.config import load_config

        config = load_config(args.config, strict=False)      # ConfigError names the file and field
        if not config.listen:
            raise RuntimeError(f"{args.config}: http.listen is off: this daemon has no API to talk to")
        host, port = config.listen[0], config.listen[1]
        host = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}", token or config.api_token
    return os.environ.get("MYSQLHA_URL", DEFAULT_URL).rstrip("/"), token


def call(url: str, method: str = "GET", body: dict | None = None, token: str | None = None) -> dict:
    data = json.dumps(body).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the user's daemon URL
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read() or b"{}").get("error") or exc.reason
        except ValueError:
            message = exc.reason
        raise RuntimeError(f"{method} {url}: HTTP {exc.code}: {message}") from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise RuntimeError(f"cannot reach the daemon at {url}: {reason} (is `mysqlha run` running? --url)") from None


def run_client(args: argparse.Namespace) -> int:
    try:
        base, token = daemon_address(args)
        if args.command == "alerts":
            alerts = call(f"{base}/api/alerts" + ("?state=all" if args.all else ""), token=token)["alerts"]
            for alert in alerts:
                if args.json:
                    print(json.dumps(alert, sort_keys=True))
                else:
                    print(f"{alert['id']}  {alert['severity']} {alert['state']:<8} {alert['rule']:<28} "
                          f"{alert['cluster']:<12} {alert['instance']:<22} {alert['summary'][:120]}")
            if not alerts and not args.json:
                print("no alerts")
        elif args.command == "ack":
            alert = call(f"{base}/api/alerts/{urllib.parse.quote(args.id, safe='')}/ack", "POST", {"by": args.by}, token)["alert"]
            print(f"acked {alert['id']} ({alert['rule']} {alert['cluster']} {alert['instance']}) by {alert['acked_by']}")
        else:
            match = {}
            for item in args.match:
                key, sep, value = item.partition("=")
                if not sep or not key:
                    print(f"mysqlha silence: --match {item!r}: expected KEY=VALUE", file=sys.stderr)
                    return 2
                match[key] = value
            body = {"match": match, "for": args.duration, "comment": args.comment, "by": args.by}
            silence = call(f"{base}/api/silences", "POST", body, token)["silence"]
            print(f"silence {silence['id']} until {silence['ends_at']}: {json.dumps(silence['match'], sort_keys=True)}")
    except RuntimeError as exc:
        print(f"mysqlha {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0
