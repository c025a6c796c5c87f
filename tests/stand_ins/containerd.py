"""ctr, as the steps copy tools out of an image with it (containerd cmd/ctr/commands/images): `images
mount IMAGE TARGET` takes a lease named after the target and prepares a snapshot of that name, then
mounts it (here: the etcd image's etcdctl and etcdutl appear under TARGET/usr/local/bin); `images
unmount TARGET` unmounts, and removes the lease and the snapshot only with --rm. What containerd keeps
is in the cluster's state (containerd.json), for tests to see what is left behind."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from tests.stand_ins import world


def main(args: list[str]) -> None:
    world.log("ctr", args)
    words = [a for a in args if not a.startswith("-")][1:]  # after -n k8s.io
    held = world.read("containerd.json", {"leases": [], "snapshots": []})
    if words[:2] == ["images", "pull"]:
        return
    if words[:2] == ["images", "mount"]:
        target = Path(words[3])
        (target / "usr/local/bin").mkdir(parents=True, exist_ok=True)
        for tool in ("etcdctl", "etcdutl"):
            shutil.copy(Path(os.environ["STAND_IN_BIN"]) / tool, target / "usr/local/bin" / tool)
        held["leases"].append(str(target))
        held["snapshots"].append(str(target))
    elif words[:2] == ["images", "unmount"]:
        target = Path(words[2])
        for child in target.iterdir():
            shutil.rmtree(child)
        if "--rm" in args:
            held = {kind: [t for t in items if t != str(target)] for kind, items in held.items()}
    else:
        sys.exit(f"the ctr stand-in does not know: {' '.join(args)}")
    (world.STATE / "containerd.json").write_text(json.dumps(held))
