"""The node-preparation scripts (scripts/node-prep/), run for real by bash on sample files: each edit is
made once, and a second run changes nothing."""

from pathlib import Path

import pytest

from tests.shell import run_function

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
        result = run_function("node-prep/prepare-node.sh", f'comment_out_swap_entries "{fstab}"')
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


@pytest.mark.parametrize(
    "original", [CONTAINERD_2_WITHOUT_KEY, CONTAINERD_2_WITH_KEY], ids=["key-missing", "key-false"]
)
def test_containerd_gets_the_systemd_cgroup_driver_once(tmp_path: Path, original):
    config = tmp_path / "config.toml"
    config.write_text(original)
    for _ in range(2):
        result = run_function(
            "node-prep/install-containerd.sh", f'use_systemd_cgroup_driver "{config}"', CONTAINERD_LINE="2"
        )
        assert result.returncode == 0, result.stderr
        text = config.read_text()
        assert text.count("SystemdCgroup") == 1 and "SystemdCgroup = true" in text
    # The key sits in the runc options table, where containerd reads it.
    options_table = text.split("runtimes.runc.options]", 1)[1]
    assert "SystemdCgroup = true" in options_table


def test_containerd_config_without_runc_options_fails_loudly(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text("version = 3\n")
    result = run_function(
        "node-prep/install-containerd.sh", f'use_systemd_cgroup_driver "{config}"', CONTAINERD_LINE="2"
    )
    assert result.returncode != 0


@pytest.mark.parametrize(
    "installed, accepted", [("2.1.5-1~ubuntu.22.04~jammy", True), ("1.7.27-1", False), ("20.1-1", False)]
)
def test_containerd_outside_the_pinned_line_is_refused(installed, accepted):
    result = run_function("node-prep/install-containerd.sh", f"require_version_line {installed}", CONTAINERD_LINE="2")
    assert (result.returncode == 0) is accepted
    if not accepted:
        assert "2.x line is required" in result.stderr
