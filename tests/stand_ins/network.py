"""curl, as the steps probe a machine with it: the cluster says what each address:port does
(tests/fresh_node.py Cluster.endpoint), and curl answers as it does (curl(1), EXIT CODES; its verbose
trace, as curl 7.88 prints it): "answers" exits 0; "refused" exits 7 with "* connect to ADDRESS port
PORT failed: Connection refused"; "unreachable" exits 7 too, with "* Immediate connect fail for ADDRESS:
No route to host"; "silent" exits 28 (timed out). Unlisted: silent. A test may queue what the next
calls say instead (the `curl` faults, e.g. "silent")."""

from __future__ import annotations

import re
import sys

from tests.stand_ins import world

EXIT = {"answers": 0, "refused": 7, "unreachable": 7, "silent": 28}


def curl(args: list[str]) -> None:
    world.log("curl", args)
    url = next(a for a in args if a.startswith(("https://", "http://")))
    host_port = re.match(r"https?://([^/]+)", url).group(1)
    said = world.take_fault("curl") or world.read("endpoints.json", {}).get(host_port, "silent")
    address, _, port = host_port.partition(":")
    if "--verbose" in args or "-v" in args:
        if said == "refused":
            print(f"* connect to {address} port {port} failed: Connection refused", file=sys.stderr)
        elif said == "unreachable":
            print(f"* Immediate connect fail for {address}: No route to host", file=sys.stderr)
    sys.exit(EXIT[said])
