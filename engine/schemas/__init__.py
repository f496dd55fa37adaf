"""The JSON Schemas the engine reads at run time, shipped as package data.

``mysql_replication``, ``mysql_security`` and ``mysql_topology`` describe the facts the
modules return (the modules' RETURN docs are generated from them); ``collection`` is the
``collection`` report all three share (by ``$ref``); ``rule`` describes a rule file.  The docs
link here; nothing reads schemas from ``docs/``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = ["SCHEMA_DIR", "load_schema"]

SCHEMA_DIR = Path(__file__).resolve().parent


def _read(name: str) -> dict:
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))


def _inline(node, within: tuple):
    """``node`` with each ``{"$ref": "<a schema of this package>"}`` replaced by that schema (its
    ``$schema``/``$id`` dropped, sibling keywords kept), so a validator or a doc generator sees
    one self-contained document and nothing has to resolve URIs."""
    if isinstance(node, list):
        return [_inline(item, within) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.endswith(".schema.json") and "/" not in ref and "#" not in ref:
        if ref in within:
            raise ValueError("schema %s refers to itself through %s" % (ref, " -> ".join(within)))
        target = dict((k, v) for k, v in _inline(_read(ref), within + (ref,)).items() if k not in ("$schema", "$id"))
        target.update((k, _inline(v, within)) for k, v in node.items() if k != "$ref")
        return target
    return dict((k, _inline(v, within)) for k, v in node.items())


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """The parsed schema ``name`` (e.g. ``mysql_replication.schema.json``) of this package, with
    references to the package's other schemas inlined."""
    return _inline(_read(name), (name,))
