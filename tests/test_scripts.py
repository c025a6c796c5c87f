"""The node scripts: shellcheck-clean, rendered with exactly their variables, and idempotent where
they edit files (run for real by bash on sample files)."""

import subprocess
from pathlib import Path

import pytest

from components import scripts
from tests.validators import shellcheck

ALL_SCRIPTS = sorted(p.name for p in scripts.SCRIPTS_DIR.glob("*.sh"))


def run_function(script_name: str, call: str, **env: str) -> subprocess.CompletedProcess:
    """Runs one function of a script with bash: the script's text without its closing `main "$@"`."""
    text = scripts.script_text(script_name)
    body, last_line = text.rstrip("\n").rsplit("\n", 1)
    assert last_line == 'main "$@"', f"{script_name} must end by calling main"
    return subprocess.run(
        ["bash", "-c", f'{body}\n{call}'], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}
    )


@pytest.mark.parametrize("name", ALL_SCRIPTS)
def test_script_is_shellcheck_clean(name):
    assert shellcheck(scripts.script_text(name)) == ""


@pytest.mark.parametrize("name", ALL_SCRIPTS)
def test_script_is_strict_and_runs_main(name):
    lines = scripts.script_text(name).splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines[:6]
    assert lines[-1] == 'main "$@"'


def test_shellcheck_really_reports_problems():
    assert "SC2154" in shellcheck('#!/usr/bin/env bash\necho "$undefined_value"\n')


def test_render_sets_declared_variables_after_the_shebang():
    text = scripts.render("install-kubernetes.sh", KUBERNETES_MINOR="1.36")
    assert text.splitlines()[:2] == ["#!/usr/bin/env bash", "KUBERNETES_MINOR=1.36"]


def test_render_quotes_values_for_the_shell():
    text = scripts.render("install-kubernetes.sh", KUBERNETES_MINOR="1.36; rm -rf /")
    assert "KUBERNETES_MINOR='1.36; rm -rf /'" in text


def test_render_refuses_missing_and_unknown_variables():
    with pytest.raises(ValueError, match=r"missing variables \['KUBERNETES_MINOR'\]"):
        scripts.render("install-kubernetes.sh")
    with pytest.raises(ValueError, match=r"unknown variables \['TYPO'\]"):
        scripts.render("install-kubernetes.sh", KUBERNETES_MINOR="1.36", TYPO="x")


def test_required_variables_fail_the_script_when_unset():
    result = run_function("install-containerd.sh", "true")
    assert result.returncode != 0 and "CONTAINERD_LINE" in result.stderr


FSTAB = """\
# /etc/fstab: static file system information.
LABEL=cloudimg-rootfs\t/\text4\tdiscard,errors=remount-ro\t0 1
/swap.img\tnone\tswap\tsw\t0\t0
UUID=1234-abcd  none  swap  defaults,pri=5  0 0
#/old.swap none swap sw 0 0
/dev/sdb1 /var/lib/swapdata ext4 defaults 0 2
"""


def test_swap_entries_are_commented_out_once(tmp_path: Path):
    fstab = tmp_path / "fstab"
    fstab.write_text(FSTAB)
    for _ in range(2):  # the second run must change nothing
        result = run_function("prepare-node.sh", f'comment_out_swap_entries "{fstab}"')
        assert result.returncode == 0, result.stderr
        lines = fstab.read_text().splitlines()
        assert lines[2] == "# disabled for kubelet: /swap.img\tnone\tswap\tsw\t0\t0"
        assert lines[3] == "# disabled for kubelet: UUID=1234-abcd  none  swap  defaults,pri=5  0 0"
        assert lines[4] == "#/old.swap none swap sw 0 0"
        assert lines[1] == FSTAB.splitlines()[1] and lines[5] == FSTAB.splitlines()[5]  # not swap: untouched
    assert len(lines) == len(FSTAB.splitlines())


CONTAINERD_2_WITHOUT_KEY = """\
version = 3
[plugins]
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = 'io.containerd.runc.v2'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = ''
      ShimCgroup = ''
"""
CONTAINERD_2_WITH_KEY = CONTAINERD_2_WITHOUT_KEY + "      SystemdCgroup = false\n"


@pytest.mark.parametrize("original", [CONTAINERD_2_WITHOUT_KEY, CONTAINERD_2_WITH_KEY], ids=["key-missing", "key-false"])
def test_containerd_gets_the_systemd_cgroup_driver_once(tmp_path: Path, original):
    config = tmp_path / "config.toml"
    config.write_text(original)
    for _ in range(2):
        result = run_function("install-containerd.sh", f'use_systemd_cgroup_driver "{config}"', CONTAINERD_LINE="2")
        assert result.returncode == 0, result.stderr
        text = config.read_text()
        assert text.count("SystemdCgroup") == 1 and "SystemdCgroup = true" in text
    # The key sits in the runc options table, where containerd reads it.
    options_table = text.split("runtimes.runc.options]", 1)[1]
    assert "SystemdCgroup = true" in options_table


def test_containerd_config_without_runc_options_fails_loudly(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text("version = 3\n")
    result = run_function("install-containerd.sh", f'use_systemd_cgroup_driver "{config}"', CONTAINERD_LINE="2")
    assert result.returncode != 0
