"""Rewrite each fact module's RETURN block from its JSON Schema (after a deliberate schema change).

    python3 scripts/sync_return_docs.py

tests/unit/test_docs_in_sync.py fails until this has been run.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from return_doc import return_doc  # noqa: E402

MODULES = (("replication_facts", "mysql_replication.schema.json", "mysql_replication"),
           ("topology_facts", "mysql_topology.schema.json", None),
           ("security_facts", "mysql_security.schema.json", "mysql_security"))


def main() -> int:
    for module, schema, fact in MODULES:
        path = REPO / "plugins" / "modules" / f"{module}.py"
        text = path.read_text()
        doc = return_doc(str(REPO / "engine" / "schemas" / schema), fact)
        new, count = re.subn(r'(?ms)^RETURN = r""".*?^"""', lambda _m, doc=doc: 'RETURN = r"""\n' + doc.rstrip("\n") + '\n"""', text)
        if count != 1:
            print(f"{path}: no RETURN block found", file=sys.stderr)
            return 1
        if new != text:
            path.write_text(new)
            print(f"rewrote RETURN of {module}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
