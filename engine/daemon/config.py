"""engine.yml for ``mysqlha run``: read, checked whole, secrets resolved, nothing printed.

    interval: 1s
    rules: ./rules                 # or a list, layered in order ([@default, ./ours]); default: ./rules, else @default
    state_dir: ./state
    http: {listen: "127.0.0.1:9105", token_env: MYSQLHA_API_TOKEN}
    clusters:
      - name: prod-main
        members: ["10.0.1.10:3306", "10.0.1.11:3306"]
        user: monitor
        password_env: MYSQLHA_PASSWORD      # or password_file, or config_file (an option file)
        ssl_mode: verify_ca
        ssl_ca: /etc/mysqlha/ca.pem
        connect_timeout: 1s
        read_timeout: 2s
    inventory: hosts.yml           # or targets from an Ansible inventory: one group per cluster
    channels: {...}                # engine/notify
    sla: {...}                     # engine/alerts/sla.py
    business_hours: {...}

Every problem is reported at once, each naming its field (``clusters[1].members[0]: ...``).
Passwords are read here and kept in ConnectionParams, whose repr hides them.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ansible_collections.dbaops.mysql_ha.engine.alerts.sla import BusinessHours, SlaError, parse_sla
from ansible_collections.dbaops.mysql_ha.engine.notify import Channel, build_channel
from ansible_collections.dbaops.mysql_ha.engine.notify.base import read_secret
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import PACK_NAMES, resolve_pack
from ansible_collections.dbaops.mysql_ha.engine.rules.loader import read_yaml as _read_yaml
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import ConnectionParams
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.errors import ConfigError
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import parse_member


def read_yaml(path: Path):
    """A YAML file with the rule loader's bounds (size, depth, aliases); ConfigError naming the line."""
    errors: list[str] = []
    document, _node, _data = _read_yaml(path, errors)
    if errors:
        raise ConfigError(errors[0])
    return document


MAX_TARGETS = 5000
TOP_FIELDS = {"interval", "rules", "state_dir", "http", "clusters", "inventory", "channels", "sla", "business_hours",
              "security_interval"}
HTTP_FIELDS = {"listen", "token", "token_env", "token_file"}
CLUSTER_FIELDS = {"name", "members", "user", "password", "password_env", "password_file", "config_file", "ssl_mode",
                  "ssl_ca", "ssl_cert", "ssl_key", "connect_timeout", "read_timeout", "liveness_port"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
_DURATION = re.compile(r"^\s*(\d{1,9}(?:\.\d{1,9})?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


class ConfigProblems(ConfigError):
    """A config with problems: ``problems`` lists each (``file: problem``), the message joins them."""

    def __init__(self, path, problems: list[str]):
        self.problems = [f"{path}: {p}" for p in problems]
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass(frozen=True)
class Cluster:
    name: str
    members: tuple[ConnectionParams, ...]
    liveness_port: int = 1


@dataclass
class Config:
    path: str
    interval: float
    rules: list[str]
    state_dir: str
    listen: tuple[str, int] | None
    api_token: str | None
    clusters: list[Cluster]
    channels: dict[str, Channel]
    tiers: dict
    business_hours: BusinessHours
    security_interval: float = 300.0
    degraded: list[str] = field(default_factory=list)       # parts left out, each named (strict=False)
    broken_channels: list[str] = field(default_factory=list)

    @property
    def targets(self) -> list[tuple[str, ConnectionParams]]:
        return [(c.name, p) for c in self.clusters for p in c.members]


def seconds(value, where: str, low: float, high: float) -> float:
    match = _DURATION.match(str(value)) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
    if not match:
        raise ConfigError(f"{where}: expected a duration such as 500ms, 1s or 2m, got {str(value)[:40]!r}")
    result = float(match.group(1)) * _UNITS[match.group(2)]
    if not low <= result <= high:
        raise ConfigError(f"{where}: {result:g}s is out of range ({low:g}s to {high:g}s)")
    return result


def _listen(value, where: str) -> tuple[str, int] | None:
    if value in (None, False, "", "off"):
        return None
    host, _sep, port = str(value).rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{where}: expected HOST:PORT, got {str(value)[:60]!r}")
    return host, int(port)


def _cluster(raw, where: str, base: Path, env) -> Cluster:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with name and members")
    unknown = sorted(set(raw) - CLUSTER_FIELDS)
    if unknown:
        raise ConfigError(f"{where}: unknown field(s) {', '.join(map(str, unknown))} (fields: {', '.join(sorted(CLUSTER_FIELDS))})")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where}.name: letters, digits and _.:- (up to 128), got {str(name)[:60]!r}")
    members = raw.get("members")
    if not isinstance(members, list) or not members:
        raise ConfigError(f"{where}.members: expected a non-empty list of host:port")
    password = read_secret(raw, "password", where, env=env)
    config_file = raw.get("config_file")
    if config_file is not None:
        config_file = str(base / os.path.expanduser(str(config_file)))
    else:
        config_file = os.devnull    # never ~/.my.cnf of whoever runs the daemon by surprise
    timeouts = {key: seconds(raw[key], f"{where}.{key}", 0.01, 60) for key in ("connect_timeout", "read_timeout")
                if key in raw}
    params = []
    for index, member in enumerate(members):
        if not isinstance(member, (str, int)) or isinstance(member, bool) or "\0" in str(member):
            raise ConfigError(f"{where}.members[{index}]: expected host:port text, got {str(member)[:40]!r}")
        try:
            host, port = parse_member(member)
        except ConfigError as exc:
            raise ConfigError(f"{where}.members[{index}]: {exc}") from None
        params.append(ConnectionParams(
            host=host, port=port, user=raw.get("user"), password=password, config_file=config_file,
            connect_timeout=timeouts.get("connect_timeout", 1.0), read_timeout=timeouts.get("read_timeout", 2.0),
            ssl_mode=raw.get("ssl_mode"), ssl_ca=raw.get("ssl_ca"), ssl_cert=raw.get("ssl_cert"), ssl_key=raw.get("ssl_key")))
    liveness = raw.get("liveness_port", 1)
    if not isinstance(liveness, int) or isinstance(liveness, bool) or not 0 <= liveness < 65536:
        raise ConfigError(f"{where}.liveness_port: a port number, or 0 for no host probe; got {liveness!r}")
    return Cluster(name, tuple(params), liveness)


def _inventory_clusters(path: Path, where: str) -> list[dict]:
    """Clusters from an Ansible YAML inventory: each group with hosts is a cluster; a host's
    ``ansible_host``/``mysql_port`` (or its name) gives the member address."""
    document = read_yaml(path)
    clusters: list[dict] = []

    def mapping(value, what: str) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ConfigError(f"{where}: {path}: {what} is not a mapping with text keys")
        return value

    def walk(name, group, inherited, depth=0):
        if not isinstance(group, dict):
            return
        if depth > 32:
            raise ConfigError(f"{where}: {path}: groups nest more than 32 deep")
        variables = dict(inherited, **mapping(group.get("vars"), f"{name}.vars"))
        hosts = mapping(group.get("hosts"), f"{name}.hosts")
        if hosts:
            members = []
            for host, host_vars in hosts.items():
                host_vars = dict(variables, **mapping(host_vars, f"{name}.hosts.{host}"))
                address = host_vars.get("ansible_host", host)
                members.append(f"{address}:{host_vars.get('mysql_port', 3306)}")
            cluster = {k[len("mysqlha_"):]: v for k, v in variables.items() if k.startswith("mysqlha_")}
            clusters.append(dict(cluster, name=name, members=members))
        for child, child_group in mapping(group.get("children"), f"{name}.children").items():
            walk(child, child_group, variables, depth + 1)

    if not isinstance(document, dict):
        raise ConfigError(f"{where}: {path} is not a YAML inventory (a mapping of groups)")
    for name, group in document.items():
        walk(name, group, {})
    return clusters


def load_config(path: str, env=None, strict: bool = True) -> Config:
    """engine.yml -> Config, or ConfigError naming every bad field.

    ``strict=False`` (``mysqlha run``): a cluster or a channel that cannot be used is left out
    and named in ``Config.degraded``, so one bad part never stops the monitoring of the rest;
    notifications for a channel left out wait in the outbox.  The file must still be a usable
    config with at least one cluster to watch."""
    env = os.environ if env is None else env
    source = Path(path)
    raw = read_yaml(source)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping (interval, clusters, channels, ...)")
    base = source.resolve().parent
    problems: list[str] = []
    degraded: list[str] = []

    def part(function, *args):   # one cluster or channel: its problem leaves only it out
        try:
            return function(*args)
        except ConfigError as exc:
            degraded.append(str(exc))
            return None

    def attempt(function, *args):
        try:
            return function(*args)
        except ConfigError as exc:
            problems.append(str(exc))
            return None

    for key in sorted(set(raw) - TOP_FIELDS, key=str):
        problems.append(f"{key}: unknown field (fields: {', '.join(sorted(TOP_FIELDS))})")
    interval = attempt(seconds, raw.get("interval", "1s"), "interval", 0.1, 3600) or 1.0
    security_interval = attempt(seconds, raw.get("security_interval", "5m"), "security_interval", 10, 86400) or 300.0
    http = raw.get("http") if raw.get("http") is not None else {}
    if not isinstance(http, dict):
        problems.append("http: expected a mapping such as {listen: \"127.0.0.1:9105\"} (listen: off for no HTTP)")
        http = {}
    for key in sorted(set(map(str, http)) - HTTP_FIELDS):
        problems.append(f"http.{key}: unknown field (fields: {', '.join(sorted(HTTP_FIELDS))})")
    listen = attempt(_listen, http.get("listen", "127.0.0.1:9105"), "http.listen")
    token = attempt(read_secret, http, "token", "http", False, env)
    raw_clusters = raw.get("clusters") or []
    if not isinstance(raw_clusters, list):
        problems.append("clusters: expected a list")
        raw_clusters = []
    if raw.get("inventory"):
        found = attempt(_inventory_clusters, base / str(raw["inventory"]), "inventory")
        raw_clusters = list(raw_clusters) + list(found or [])
    clusters = [c for c in (part(_cluster, c, f"clusters[{i}]", base, env) for i, c in enumerate(raw_clusters)) if c]
    names = [c.name for c in clusters]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"clusters: {name!r} is named more than once")
    if not raw_clusters:
        problems.append("clusters: no cluster to watch (give clusters: or inventory:)")
    if sum(len(c.members) for c in clusters) > MAX_TARGETS:
        problems.append(f"clusters: more than {MAX_TARGETS} members in all")
    specs = raw.get("channels") or {}
    if not isinstance(specs, dict):
        problems.append(f"channels: expected a mapping of channel names, got {type(specs).__name__}")
        specs = {}
    channels = {str(name): channel for name, channel in
                ((str(n), part(build_channel, str(n), s, env)) for n, s in specs.items()) if channel is not None}
    broken = sorted(set(map(str, specs)) - set(channels))
    tiers, hours = {}, BusinessHours()
    for key in ("sla", "business_hours"):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            problems.append(f"{key}: expected a mapping")
    try:
        tiers, hours = parse_sla(raw.get("sla") if isinstance(raw.get("sla"), dict) else None, set(channels) | set(broken),
                                 raw.get("business_hours") if isinstance(raw.get("business_hours"), dict) else None)
    except SlaError as exc:
        problems.append(str(exc))
    except (TypeError, AttributeError, ValueError) as exc:   # a field of the wrong shape deep inside
        problems.append(f"sla / business_hours: a field has the wrong type ({type(exc).__name__}: {str(exc)[:120]})")
    rules = raw.get("rules")
    rule_paths = [resolve_pack(str(p)) if str(p) in PACK_NAMES else str(base / str(p))
                  for p in (rules if isinstance(rules, list) else [rules])] if rules else []
    if raw_clusters and not clusters:
        problems.append("clusters: not one of them can be watched")
    if problems or (strict and degraded):
        raise ConfigProblems(path, problems + degraded)
    return Config(path=str(source), interval=interval, rules=rule_paths, state_dir=str(base / str(raw.get("state_dir", "state"))),
                  listen=listen, api_token=token, clusters=clusters, channels=channels, tiers=tiers,
                  business_hours=hours, security_interval=security_interval,
                  degraded=degraded, broken_channels=broken)
