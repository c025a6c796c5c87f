"""curl, as the steps probe a machine with it: the cluster says what each address:port does
(tests/fresh_node.py Cluster.endpoint): "answers" (exit 0), "refused" (exit 7: connection refused) or
"silent" (exit 28: timed out), curl's own exit codes (curl(1), EXIT CODES). Unlisted: refused. A
test may queue what the next calls say instead (the `curl` faults, e.g. "silent")."""

from __future__ import annotations

import re
import sys

from tests.stand_ins import world

EXIT = {"answers": 0, "refused": 7, "silent": 28}


def curl(args: list[str]) -> None:
    world.log("curl", args)
    url = next(a for a in args if a.startswith(("https://", "http://")))
    host_port = re.match(r"https?://([^/]+)", url).group(1)
    said = world.take_fault("curl") or world.read("endpoints.json", {}).get(host_port, "refused")
    sys.exit(EXIT[said])
