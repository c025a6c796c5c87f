"""sleep: moves the clock the other stand-ins read by what it was asked (bash's own `SECONDS` is not
moved: the scripts count waited time by their sleeps), and sleeps a hundredth of it for real. Meanwhile
the node's kubelet goes on asking for its serving certificate (tests/stand_ins/quiet.py)."""

from __future__ import annotations

import time

from tests.stand_ins import quiet, world

REAL_FRACTION = 0.01


def main(args: list[str]) -> None:
    world.log("sleep", args)
    seconds = float(args[0].rstrip("s")) if args else 0.0
    world.advance(seconds)
    time.sleep(seconds * REAL_FRACTION)
    quiet.kubelet_keeps_asking()
