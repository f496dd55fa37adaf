"""The JSON Schemas the engine reads at run time, shipped as package data.

``mysql_replication``, ``mysql_security`` and ``mysql_topology`` describe the facts the
modules return (the modules' RETURN docs are generated from them); ``rule`` describes a
rule file.  The docs link here; nothing reads schemas from ``docs/``.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = ["SCHEMA_DIR", "load_schema"]

SCHEMA_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """The parsed schema ``name`` (e.g. ``mysql_replication.schema.json``) of this package."""
    return json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
