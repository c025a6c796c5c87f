"""Renders the shell scripts under scripts/ into the exact text a node runs.

A script declares each variable it needs with `: "${NAME:?description}"`. Rendering sets exactly those
variables, shell-quoted, right after the shebang, and refuses a missing or an unknown one, so a script
never runs with a variable silently empty. The node facts of components/facts.py (paths, the CRI
socket) are filled in for every script that declares them, so each has one home.

A script may use a library of shell functions from scripts/lib/ with the line
`source "$(dirname "${BASH_SOURCE[0]}")/../lib/NAME.sh"`, which works when it is run from the tree and
is replaced by the library's text when rendered, since a node receives one script at a time.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from components import facts, versions
from components.cluster import hardening

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "scripts"

# Variables a script may declare without its caller passing them.
NODE_FACTS = {
    "CRI_SOCKET": facts.CRI_SOCKET,
    "ADMIN_KUBECONFIG": facts.ADMIN_KUBECONFIG,
    "KUBELET_KUBECONFIG": facts.KUBELET_KUBECONFIG,
    "KUBERNETES_PKI_DIR": facts.KUBERNETES_PKI_DIR,
    "ETCD_DATA_DIR": facts.ETCD_DATA_DIR,
    "ETCD_PEER_PORT": facts.ETCD_PEER_PORT,
    "ENCRYPTION_CONFIG_FILE": hardening.ENCRYPTION_CONFIG_FILE,
    "SECRETS_WRITE_KEY_FILE": hardening.SECRETS_WRITE_KEY_FILE,
    "AUDIT_POLICY_FILE": hardening.AUDIT_POLICY_FILE,
    "ADMISSION_CONFIG_FILE": hardening.ADMISSION_CONFIG_FILE,
    "AUDIT_LOG_DIR": hardening.AUDIT_LOG_DIR,
    "DOCKER_KEY_FINGERPRINT": versions.DOCKER_APT_KEY.fingerprint,
    "KUBERNETES_KEY_FINGERPRINT": versions.KUBERNETES_APT_KEY.fingerprint,
}

_REQUIRED_VARIABLE = re.compile(r'^: "\$\{([A-Z][A-Z0-9_]*):\?', re.MULTILINE)
_LIBRARY_LINE = re.compile(
    r'^source "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)/\.\./lib/([a-z0-9-]+\.sh)"\n', re.MULTILINE
)


def script_text(name: str) -> str:
    """The script `name` (e.g. `bootstrap/kubeadm-init.sh`) as it is in the tree."""
    return (SCRIPTS_DIR / name).read_text()


def with_libraries(text: str) -> str:
    """`text` with each library it sources from scripts/lib/ written out in place."""

    def library(match: re.Match) -> str:
        lines = (SCRIPTS_DIR / "lib" / match.group(1)).read_text().splitlines(keepends=True)
        return "".join(line for line in lines if not line.startswith("# shellcheck shell="))

    return _LIBRARY_LINE.sub(library, text)


_DESCRIPTION_WITH_QUOTE = re.compile(r'^: "\$\{[A-Z][A-Z0-9_]*:\?[^}]*[\'"`]', re.MULTILINE)


def required_variables(name: str) -> list[str]:
    text = script_text(name)
    # bash reads a quote inside ${NAME:?description} as opening a string: the script would not parse.
    if bad := _DESCRIPTION_WITH_QUOTE.search(text):
        raise ValueError(f"scripts/{name}: no quotes in a variable's description: {bad.group(0)}")
    return _REQUIRED_VARIABLE.findall(text)


def render(name: str, **variables: object) -> str:
    """The script `name` with its libraries inlined and `variables` assigned after its shebang line."""
    required = required_variables(name)
    given = {**{key: value for key, value in NODE_FACTS.items() if key in required}, **variables}
    missing = sorted(set(required) - set(given))
    unknown = sorted(set(variables) - set(required))
    if missing or unknown:
        raise ValueError(f"scripts/{name}: missing variables {missing}, unknown variables {unknown}")
    shebang, body = with_libraries(script_text(name)).split("\n", 1)
    assignments = "".join(f"{key}={shlex.quote(str(given[key]))}\n" for key in required)
    return f"{shebang}\n{assignments}{body}"


def as_root(script: str) -> str:
    """A command line that runs a rendered script as root through the login user's sudo."""
    return f"sudo bash -c {shlex.quote(script)}"
