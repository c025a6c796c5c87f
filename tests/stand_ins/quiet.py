"""systemctl, crictl and the other tools whose effect a step does not read back: each call is logged
(tests check what was asked) and succeeds, unless a test asked this tool to fail once."""

from __future__ import annotations

import sys

from tests.stand_ins import world


def main(tool: str, args: list[str]) -> None:
    world.log(tool, args)
    if world.take_fault(tool) == "fail":
        sys.exit(f"{tool}: failed (a fault the test asked for)")
