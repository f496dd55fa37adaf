"""The CLI imports only what a command uses: without cryptography (only a TLS lab needs it)
`mysqlha check` and `mysqlha eval` still work."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BLOCK_AND_RUN = """
import sys
sys.modules["cryptography"] = None  # any `import cryptography...` now raises ImportError
from ansible_collections.dbaops.mysql_ha.engine.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_check_runs_without_cryptography():
    proc = subprocess.run([sys.executable, "-c", BLOCK_AND_RUN, "check", str(REPO / "rules")],
                          capture_output=True, text=True, cwd=str(REPO), check=False, timeout=120,
                          env={"PYTHONPATH": str(REPO / "tests" / "output" / "collections"), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: ")
