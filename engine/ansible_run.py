"""Run ansible-playbook against this collection, wherever it is installed."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# engine/ -> mysql_ha/ -> dbaops/ -> ansible_collections/ -> the directory on the collections path
COLLECTION_ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS_PATH = Path(__file__).parents[3]
PLAYBOOKS = COLLECTION_ROOT / "playbooks"


def ansible_playbook_binary() -> str:
    beside = Path(sys.executable).parent / "ansible-playbook"
    if beside.exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if not found:
        raise FileNotFoundError("ansible-playbook not found: pip install ansible-core")
    return found


def playbook_env() -> dict:
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(
        [str(COLLECTIONS_PATH)] + [p for p in env.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p])
    # Use the collection beside this engine, never another copy found on sys.path.
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"
    env.setdefault("ANSIBLE_LOCALHOST_WARNING", "false")
    env.setdefault("ANSIBLE_INVENTORY_UNPARSED_WARNING", "false")
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    env.setdefault("ANSIBLE_RETRY_FILES_ENABLED", "false")
    return env


def run_playbook(playbook: str | Path, extra_vars: dict, check: bool = False) -> tuple[subprocess.CompletedProcess, dict]:
    """Run a playbook on localhost with this interpreter; return the process and
    the JSON the playbook wrote to ``result_file`` (or {} when it wrote none)."""
    with tempfile.TemporaryDirectory(prefix="mysqlha-play-") as tmp:
        result_file = os.path.join(tmp, "result.json")
        variables = dict(extra_vars, result_file=result_file, ansible_python_interpreter=sys.executable)
        vars_file = os.path.join(tmp, "vars.json")
        Path(vars_file).write_text(json.dumps(variables))
        cmd = [ansible_playbook_binary(), "-i", "localhost,", "-c", "local", "-e", f"@{vars_file}", str(playbook)]
        if check:
            cmd.append("--check")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=playbook_env(), timeout=600, check=False)
        result = json.loads(Path(result_file).read_text()) if os.path.exists(result_file) else {}
        return proc, result
