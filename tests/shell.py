"""Runs the functions of a script under scripts/ with real bash, on sample files."""

from __future__ import annotations

import subprocess
from pathlib import Path

from components.cluster import script_rendering


def run_function(script_name: str, call: str, **env: str) -> subprocess.CompletedProcess:
    """Runs `call` after the script's definitions: its text, libraries inlined, without its `main "$@"`.
    The facts and pins that rendering fills in (script_rendering.NODE_FACTS) are set unless `env` says
    otherwise."""
    text = script_rendering.with_libraries(script_rendering.script_text(script_name))
    body, last_line = text.rstrip("\n").rsplit("\n", 1)
    assert last_line == 'main "$@"', f"{script_name} must end by calling main"
    return subprocess.run(
        ["bash", "-c", f"{body}\n{call}"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **{k: str(v) for k, v in script_rendering.NODE_FACTS.items()}, **env},
    )


def stand_in(bin_dir: Path, name: str, body: str) -> str:
    """A command `name` for a script to call (kubeadm, kubectl, ssh: programs this machine cannot run
    for real), which logs its arguments to $CALLS and runs `body`; returns a PATH that finds it first."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >>"${{CALLS:-/dev/null}}"\n{body}\n')
    path.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"
