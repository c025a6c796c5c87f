"""curl, as the steps probe a machine with it: the cluster says what each address:port does
(tests/fresh_node.py Cluster.endpoint), and curl answers as it does (curl(1), EXIT CODES; its verbose
trace, as curl 7.88 prints it): "answers" exits 0; "refused" exits 7 with "* connect to ADDRESS port
PORT failed: Connection refused"; "unreachable" exits 7 too, with "* Immediate connect fail for ADDRESS:
No route to host"; "silent" exits 28 (timed out). Unlisted: silent. A test may queue what the next calls
say instead (the `curl` faults, e.g. "silent").

pkgs.k8s.io serves its pinned key (tests/stand_ins/apt.py reads it). A download (`-o FILE`) of a pinned
manifest (components/versions.py) writes its bytes, which tests/fixtures holds exactly
(tests/test_manifests_architecture.py checks their sha256); any other URL is silent."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from components import versions
from tests.stand_ins import world

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def pinned_files() -> dict[str, Path]:
    """Each pinned URL and the fixture that holds its bytes."""
    found = {m.url: FIXTURES / "cni" / m.url.rsplit("/", 1)[1] for m in versions.CNI_MANIFESTS.values()}
    for manifests in (versions.CLOUD_CONTROLLER_MANIFESTS, versions.EBS_CSI_MANIFESTS):
        found.update({manifests.base_url + f: FIXTURES / "addons" / manifests.name / f for f in manifests.files})
    return found


EXIT = {"answers": 0, "refused": 7, "unreachable": 7, "silent": 28}


def curl(args: list[str]) -> None:
    world.log("curl", args)
    url = next(a for a in args if a.startswith(("https://", "http://")))
    if "-o" in args and url.startswith("https://pkgs.k8s.io/") and url.endswith("/Release.key"):
        Path(args[args.index("-o") + 1]).write_text(f"the key of pkgs.k8s.io {versions.KUBERNETES_APT_KEY.fingerprint}")
        return
    if "-o" in args and url in (files := pinned_files()):
        if world.take_fault("curl") == "silent":
            host = url.split("/")[2]
            print(f"curl: (28) Failed to connect to {host} port 443: Connection timed out", file=sys.stderr)
            sys.exit(28)
        Path(args[args.index("-o") + 1]).write_bytes(files[url].read_bytes())
        return
    host_port = re.match(r"https?://([^/]+)", url).group(1)
    said = world.take_fault("curl") or world.read("endpoints.json", {}).get(host_port, "silent")
    address, _, port = host_port.partition(":")
    if "--verbose" in args or "-v" in args:
        if said == "refused":
            print(f"* connect to {address} port {port} failed: Connection refused", file=sys.stderr)
        elif said == "unreachable":
            print(f"* Immediate connect fail for {address}: No route to host", file=sys.stderr)
    sys.exit(EXIT[said])
