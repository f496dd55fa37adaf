"""The 5-minute soak of issue 9, run in the background while the rest of the suite runs.

``python soak_frozen.py OUT SECONDS``: starts its own lab (primary + 2 replicas), SIGSTOPs the
primary and floods it with 400 idle connections (its accept queue fills and the kernel drops
new SYNs, so the MySQL port gives no TCP answer at all, as under an application pool), then polls
``gather_topology`` every 2 s for SECONDS, passing each result back as ``known_state`` the way a
monitor does.  Then it thaws the primary and waits for ``ok`` and for the replicas to catch up.
It writes what it saw to OUT as JSON; ``test_frozen_under_load.py`` asserts on it.

The servers die with this process (PR_SET_PDEATHSIG), and this process dies with pytest.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.connection import resolve_params
from ansible_collections.dbaops.mysql_ha.plugins.module_utils.topology import gather_topology

from lab_helpers import LabFactory, wait_for

POLL_SECONDS = 2.0


def poll(lab, known_state=None, liveness_port=1):
    params = [resolve_params(lab.params(n, connect_timeout=2, read_timeout=2)) for n in lab.nodes
              if n.role in ("primary", "replica")]
    return gather_topology(params, name="lab", known_state=known_state, liveness_port=liveness_port)


def soak(seconds: float) -> dict:
    report: dict = {"seconds": seconds, "polls": [], "recovered": False, "caught_up": False}
    factory = LabFactory()
    try:
        lab = factory(replicas=2)
        primary = lab.node("primary")
        lab.freeze(primary)
        lab.flood(primary, 400)
        frozen_at = time.monotonic()
        result = None
        try:
            while time.monotonic() - frozen_at < seconds:
                started = time.monotonic()
                result = poll(lab, known_state=result)
                cluster = result["cluster"]
                evidence = result["members"][primary.address].get("evidence") or {}
                report["polls"].append({"at": round(started - frozen_at, 1), "code": cluster["analysis"]["code"],
                                        "codes": cluster["analysis"]["codes"],
                                        "mysql_port": evidence.get("mysql_port"),
                                        "probe": (evidence.get("liveness") or {}).get("answer"),
                                        "hung_seconds": cluster.get("primary_hung_seconds")})
                time.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - started)))
        finally:
            lab.thaw(primary)
        thawed_at = time.monotonic()
        wait_for(lambda: poll(lab)["cluster"]["analysis"]["code"] == "ok", timeout=90, interval=1)
        report["recovered"] = round(time.monotonic() - thawed_at, 1)
        with lab.session(primary) as session:
            session.execute("CREATE DATABASE IF NOT EXISTS after_thaw")
        wait_for(lambda: all(poll(lab)["cluster"]["transactions_behind"].get(r.address) == 0
                             for r in lab.by_role("replica")), timeout=60, interval=1)
        report["caught_up"] = True
    except BaseException:  # the test reads the failure from the report
        report["error"] = traceback.format_exc()[-3000:]
    finally:
        factory.stop_all()
    return report


def main() -> int:
    out, seconds = sys.argv[1], float(sys.argv[2])
    report = soak(seconds)
    with open(out + ".tmp", "w") as handle:
        json.dump(report, handle, indent=1)
    os.replace(out + ".tmp", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
