"""Runs the functions of a script under scripts/ with real bash, on sample files."""

from __future__ import annotations

import subprocess

from components import script_rendering


def run_function(script_name: str, call: str, **env: str) -> subprocess.CompletedProcess:
    """Runs `call` after the script's definitions: its text, libraries inlined, without its `main "$@"`."""
    text = script_rendering.with_libraries(script_rendering.script_text(script_name))
    body, last_line = text.rstrip("\n").rsplit("\n", 1)
    assert last_line == 'main "$@"', f"{script_name} must end by calling main"
    return subprocess.run(
        ["bash", "-c", f"{body}\n{call}"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}
    )
