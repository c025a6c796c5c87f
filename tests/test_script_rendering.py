"""Every script under scripts/ is strict and shellcheck-clean, and renders with exactly its variables."""

import re
import subprocess

import pytest

from components.cluster import script_rendering
from components.cluster.script_rendering import SCRIPTS_DIR
from tests.shell import run_function
from tests.validators import shellcheck

NODE_SCRIPTS = sorted(
    str(p.relative_to(SCRIPTS_DIR))
    for folder in ("node-prep", "bootstrap")
    for p in (SCRIPTS_DIR / folder).glob("*.sh")
)
# A library of functions says so on its first line; the local scripts source theirs from beside them.
LOCAL = sorted((SCRIPTS_DIR / "local").glob("*.sh"))
LOCAL_SCRIPTS = [str(p.relative_to(SCRIPTS_DIR)) for p in LOCAL if not p.read_text().startswith("# shellcheck shell=")]
LIBRARIES = sorted(
    str(p.relative_to(SCRIPTS_DIR))
    for p in [*(SCRIPTS_DIR / "lib").glob("*.sh"), *LOCAL]
    if p.parent.name == "lib" or p.read_text().startswith("# shellcheck shell=")
)


@pytest.mark.parametrize("name", NODE_SCRIPTS + LOCAL_SCRIPTS + LIBRARIES)
def test_script_is_shellcheck_clean(name):
    assert shellcheck(script_rendering.script_text(name)) == ""


@pytest.mark.parametrize("name", NODE_SCRIPTS + LOCAL_SCRIPTS)
def test_script_is_strict_and_runs_main(name):
    lines = script_rendering.script_text(name).splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    # The header comment, then strict mode before anything else runs.
    first_code = next(line for line in lines[1:] if line and not line.startswith("#"))
    assert first_code == "set -euo pipefail"
    assert lines[-1] == 'main "$@"'


def test_scripts_are_grouped_by_where_they_run_each_folder_with_its_note():
    folders = sorted(p.name for p in SCRIPTS_DIR.iterdir() if p.is_dir())
    assert folders == ["bootstrap", "lib", "local", "node-prep"]
    assert not list(SCRIPTS_DIR.glob("*.sh"))
    for folder in folders:
        note = (SCRIPTS_DIR / folder / "README.md").read_text().strip().splitlines()
        assert len(note) == 2, folder


def test_shellcheck_really_reports_problems():
    assert "SC2154" in shellcheck('#!/usr/bin/env bash\necho "$undefined_value"\n')


def test_render_sets_declared_variables_after_the_shebang():
    text = script_rendering.render("node-prep/install-kubernetes.sh", KUBERNETES_MINOR="1.36")
    assert text.splitlines()[:2] == ["#!/usr/bin/env bash", "KUBERNETES_MINOR=1.36"]


def test_render_quotes_values_for_the_shell():
    text = script_rendering.render("node-prep/install-kubernetes.sh", KUBERNETES_MINOR="1.36; rm -rf /")
    assert "KUBERNETES_MINOR='1.36; rm -rf /'" in text


def test_render_refuses_missing_and_unknown_variables():
    with pytest.raises(ValueError, match=r"missing variables \['KUBERNETES_MINOR'\]"):
        script_rendering.render("node-prep/install-kubernetes.sh")
    with pytest.raises(ValueError, match=r"unknown variables \['TYPO'\]"):
        script_rendering.render("node-prep/install-kubernetes.sh", KUBERNETES_MINOR="1.36", TYPO="x")


def test_node_facts_are_filled_in_where_a_script_declares_them():
    text = script_rendering.render("node-prep/prepull-images.sh")
    assert text.splitlines()[1] == "CRI_SOCKET=unix:///run/containerd/containerd.sock"
    text = script_rendering.render(
        "bootstrap/wait-for-node.sh",
        NODE_NAME="n",
        TIMEOUT_SECONDS=1,
        NODE_INSTANCE_ID="i",
        CLUSTER_ID="c",
        JOIN_TOKEN_DESCRIPTION="d",
    )
    assert "ADMIN_KUBECONFIG=/etc/kubernetes/admin.conf" in text.splitlines()


def test_libraries_are_written_out_in_place_of_their_source_line():
    text = script_rendering.render(
        "bootstrap/kubeadm-join.sh", NODE_NAME="n", ATTEMPTS=1, NODE_INSTANCE_ID="i-1", CLUSTER_ID="c"
    )
    assert "source " not in text and "../lib/" not in text
    assert "redact_tokens() {" in text


def test_no_node_path_is_written_twice():
    # Each fact of components/facts.py that a script needs arrives as a rendered variable.
    for name in NODE_SCRIPTS:
        text = script_rendering.script_text(name)
        for value in script_rendering.NODE_FACTS.values():
            assert str(value) not in text, (name, value)


def test_required_variables_fail_the_script_when_unset():
    result = run_function("node-prep/install-containerd.sh", "true")
    assert result.returncode != 0 and "CONTAINERD_LINE" in result.stderr


def test_a_quote_in_a_variables_description_is_refused(tmp_path, monkeypatch):
    (tmp_path / "broken.sh").write_text('#!/usr/bin/env bash\n: "${NAME:?the node\'s name}"\nmain "$@"\n')
    monkeypatch.setattr(script_rendering, "SCRIPTS_DIR", tmp_path)
    with pytest.raises(ValueError, match="no quotes in a variable's description"):
        script_rendering.render("broken.sh", NAME="x")


@pytest.mark.parametrize("name", NODE_SCRIPTS + LOCAL_SCRIPTS)
def test_an_exit_trap_never_names_a_local_variable(name):
    # The EXIT trap runs after the function that set it has returned: a local variable is gone by
    # then, and under `set -u` the script fails at its very end (and leaves the file behind).
    text = script_rendering.script_text(name)
    for trap in re.findall(r"trap '([^']*)' EXIT", text):
        for variable in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", trap):
            assert not re.search(rf"^\s*local\b[^\n]*\b{variable}\b", text, re.M), (name, variable)


def test_an_exit_trap_on_a_local_variable_really_fails_the_script():
    script = "set -euo pipefail\nmain() { local m; m=$(mktemp); trap 'rm -f \"$m\"' EXIT; }\nmain\n"
    assert subprocess.run(["bash", "-c", script], capture_output=True).returncode == 1


@pytest.mark.parametrize("name", NODE_SCRIPTS)
def test_every_apt_call_waits_for_the_dpkg_lock(name):
    # A booting Ubuntu's unattended-upgrades holds the lock; apt_get, apt_update and apt_mark
    # (scripts/lib/apt.sh) wait for it instead of failing.
    code = [line for line in script_rendering.script_text(name).splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if re.search(r"\bapt-(get|mark)\b", line)], name
    lib = (SCRIPTS_DIR / "lib" / "apt.sh").read_text()
    assert lib.count("DPkg::Lock::Timeout=600") == 2
