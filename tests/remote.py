"""Reads the remote commands the program registered: the script each one runs and its variables."""

from __future__ import annotations

import shlex
import subprocess

COMMAND = "command:remote:Command"


def script_of(command_line: str) -> str:
    """The script inside `sudo bash -c '<script>'`, as the remote shell will see it."""
    words = shlex.split(command_line)
    assert words[:3] == ["sudo", "bash", "-c"] and len(words) == 4, command_line[:120]
    return words[3]


def variable(script: str, name: str) -> str:
    """The value bash gives a variable of a rendered script: its top level runs (assignments, function
    definitions), its closing `main "$@"` does not."""
    body, last_line = script.rstrip("\n").rsplit("\n", 1)
    assert last_line == 'main "$@"', last_line
    result = subprocess.run(
        ["bash", "-c", f'{body}\nprintf "%s" "${name}"'], capture_output=True, text=True, check=True
    )
    return result.stdout
