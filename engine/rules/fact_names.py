"""The fact model rules are written against, taken from the facts' JSON Schemas.

Names an expression or template may use, per scope:

* ``instance``: every top-level ``mysql_replication`` fact (``role``, ``read_only``,
  ``channels``, ``semi_sync``, ...), ``security`` (``mysql_security`` facts, null when
  not gathered), ``cluster`` (the cluster analysis), ``instance`` and ``cluster_name``.
* ``channel``: the instance names plus ``channel`` (one replication channel), with
  ``channel.label`` for prose: its name, or ``default`` for the unnamed channel (MariaDB's
  default connection, MySQL's ``''`` channel), whose ``channel.name`` is ``''``.
* ``cluster``: ``cluster``, ``members`` (address -> facts) and ``cluster_name``.
* ``member``: every member, reachable or not: ``instance``, ``reachable``, ``reachability``
  (``ok`` or how it failed), ``error``, ``errno``, ``member_role`` (``primary``, ``replica``,
  ``node`` for Galera/Group Replication, or ``unknown``), ``cluster`` and ``cluster_name``.
"""
from __future__ import annotations

import difflib
from functools import lru_cache

from ansible_collections.dbaops.mysql_ha.engine.schemas import load_schema

# Dict methods: an attribute with one of these names would read the method, not a key.
RESERVED = frozenset(dir(dict))
STRING = {"type": "string"}
CHANNEL_LABEL = {"type": "string", "description": "The channel in prose: its name, or default for the unnamed channel "
                                                  "(name is then '', which is what START SLAVE '' takes)"}


@lru_cache(maxsize=None)
def scope_names(scope: str) -> dict:
    """{name: schema node} of the names a rule of this scope may use."""
    replication = load_schema("mysql_replication.schema.json")
    cluster = load_schema("mysql_topology.schema.json")["properties"]["cluster"]
    security = dict(load_schema("mysql_security.schema.json"))
    security["type"] = ["object", "null"]
    common = {"cluster": cluster, "cluster_name": STRING}
    if scope == "cluster":
        return dict(common, members={"type": "object", "additionalProperties": {"type": "object"}})
    if scope == "member":
        return dict(common, instance=STRING, reachable={"type": "boolean"}, reachability=STRING,
                    error={"type": ["string", "null"]}, errno={"type": ["integer", "null"]}, member_role=STRING)
    names = dict(replication["properties"])
    names.update(common, security=security, instance=STRING, reachability=STRING)
    if scope == "channel":
        channel = dict(replication["properties"]["channels"]["items"])
        channel["properties"] = dict(channel["properties"], label=CHANNEL_LABEL)
        names["channel"] = channel
    return names


def _suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_path(scope: str, path: list[str]) -> str | None:
    """None when ``a.b.c`` exists in the model of this scope, else the reason it does not."""
    names = scope_names(scope)
    head = path[0]
    if head not in names:
        return f"unknown name {head!r} for scope {scope}{_suggest(head, names)}"
    node = names[head]
    walked = head
    for part in path[1:]:
        if part in RESERVED:
            return f"{walked}.{part}: {part!r} is a dict method, not a fact"
        properties = node.get("properties")
        if properties is not None:
            if part not in properties:
                return f"{walked} has no field {part!r}{_suggest(part, properties)}"
            node = properties[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        elif node.get("type") == "object" or "object" in (node.get("type") or []):
            node = {}  # an object the schema leaves open: any key
        else:
            kind = node.get("type")
            return f"{walked} is {kind if isinstance(kind, str) else '/'.join(kind or ['a value'])}, it has no field {part!r}"
        walked = f"{walked}.{part}"
    return None
