"""systemctl, crictl and the other tools whose effect a step does not read back: each call is logged
(tests check what was asked) and succeeds, unless a test asked this tool to fail once. One effect is
read back: `systemctl restart kubelet` starts a kubelet, which registers its Node from the arguments
kubeadm left it (/var/lib/kubelet/kubeadm-flags.env) when the cluster has none of its name."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.stand_ins import world

FLAGS = Path("/var/lib/kubelet/kubeadm-flags.env")


def main(tool: str, args: list[str]) -> None:
    world.log(tool, args)
    if world.take_fault(tool) == "fail":
        sys.exit(f"{tool}: failed (a fault the test asked for)")
    if tool == "systemctl" and args[-1:] == ["kubelet"] and args[0] in ("start", "restart") and FLAGS.exists():
        world.register_node(world.NODE, dict(re.findall(r"--([a-z-]+)=([^ \"]+)", FLAGS.read_text())))
