"""Renders the shell scripts under scripts/ with their variables set explicitly at the top.

A script declares each variable it needs with `: "${NAME:?description}"`. Rendering sets exactly
those variables, shell-quoted, right after the shebang, and refuses a missing or an unknown one, so a
script never runs with a variable silently empty.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent.parent / "scripts"

_REQUIRED_VARIABLE = re.compile(r'^: "\$\{([A-Z][A-Z0-9_]*):\?', re.MULTILINE)


def script_text(name: str) -> str:
    return (SCRIPTS_DIR / name).read_text()


def required_variables(name: str) -> list[str]:
    return _REQUIRED_VARIABLE.findall(script_text(name))


def render(name: str, **variables: object) -> str:
    """The script `name` with `variables` assigned after its shebang line."""
    required = required_variables(name)
    missing = sorted(set(required) - set(variables))
    unknown = sorted(set(variables) - set(required))
    if missing or unknown:
        raise ValueError(f"scripts/{name}: missing variables {missing}, unknown variables {unknown}")
    shebang, body = script_text(name).split("\n", 1)
    assignments = "".join(f"{key}={shlex.quote(str(variables[key]))}\n" for key in required)
    return f"{shebang}\n{assignments}{body}"


def as_root(script: str) -> str:
    """A command line that runs a rendered script as root through the login user's sudo."""
    return f"sudo bash -c {shlex.quote(script)}"
