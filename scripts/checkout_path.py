"""Make ``ansible_collections.dbaops.mysql_ha`` resolve to this checkout, never to an installed copy.

The scripts that generate documentation read the code they document. Run from a checkout with
the package also installed (``pip install .``), a plain import would silently document the
installed copy. ``use_checkout()`` links the checkout where ansible-test and the tests look for it
(``tests/output/collections/ansible_collections/dbaops/mysql_ha``), puts that first on
``sys.path`` and refuses to go on when the import still resolves elsewhere.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / "tests" / "output" / "collections"


def use_checkout() -> None:
    link = COLLECTIONS / "ansible_collections" / "dbaops" / "mysql_ha"
    if not link.is_symlink() or link.resolve() != REPO:
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink():
            link.unlink()
        if link.exists():
            sys.exit(f"{link} exists and is not a link to {REPO}: remove it and run again")
        link.symlink_to(REPO)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    module = importlib.import_module("ansible_collections.dbaops.mysql_ha.engine")
    where = Path(module.__file__ or "").resolve().parent.parent
    if where != REPO:
        sys.exit(f"ansible_collections.dbaops.mysql_ha resolves to {where}, not to this checkout {REPO}: "
                 "it was imported before use_checkout(); run the script directly")
