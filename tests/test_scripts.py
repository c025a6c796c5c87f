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
        ["bash", "-c", f"{body}\n{call}"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}
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


@pytest.mark.parametrize(
    "original", [CONTAINERD_2_WITHOUT_KEY, CONTAINERD_2_WITH_KEY], ids=["key-missing", "key-false"]
)
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


@pytest.mark.parametrize("script", ["kubeadm-init.sh", "kubeadm-join.sh"])
def test_kubeadm_output_is_shown_with_tokens_redacted(script):
    log = (
        "[bootstrap-token] Using token: 7f3k2a.0123456789abcdef\nkubeadm join x:6443 --token 7f3k2a.0123456789abcdef\n"
    )
    variables = {name: "x" for name in scripts.required_variables(script)}
    result = run_function(script, f"printf '%s' {log!r} | redact_tokens", **variables)
    assert result.returncode == 0, result.stderr
    assert "0123456789abcdef" not in result.stdout
    assert result.stdout.count("<redacted-token>") == 2


CALICO_SNIPPET = """\
            - name: CALICO_IPV4POOL_IPIP
              value: "Always"
            # - name: CALICO_IPV4POOL_CIDR
            #   value: "192.168.0.0/16"
            - name: CALICO_DISABLE_FILE_LOGGING
"""


def test_calico_pool_is_set_to_the_pod_cidr_once(tmp_path: Path):
    manifest = tmp_path / "calico.yaml"
    manifest.write_text(CALICO_SNIPPET)
    env = {"CNI": "calico", "MANIFEST_URL": "unused", "POD_CIDR": "10.244.0.0/16"}
    for _ in range(2):
        result = run_function("install-cni.sh", f'set_calico_pool "{manifest}"', **env)
        assert result.returncode == 0, result.stderr
        assert manifest.read_text().splitlines()[2:4] == [
            "            - name: CALICO_IPV4POOL_CIDR",
            '              value: "10.244.0.0/16"',
        ]


def test_calico_manifest_without_the_pool_setting_fails(tmp_path: Path):
    manifest = tmp_path / "calico.yaml"
    manifest.write_text("kind: DaemonSet\n")
    env = {"CNI": "calico", "MANIFEST_URL": "unused", "POD_CIDR": "10.244.0.0/16"}
    assert run_function("install-cni.sh", f'set_calico_pool "{manifest}"', **env).returncode != 0


def test_flannel_network_is_set_to_the_pod_cidr(tmp_path: Path):
    manifest = tmp_path / "kube-flannel.yml"
    manifest.write_text(
        '  net-conf.json: |\n    {\n      "Network": "10.244.0.0/16",\n      "EnableNFTables": false,\n'
    )
    env = {"CNI": "flannel", "MANIFEST_URL": "unused", "POD_CIDR": "172.20.0.0/16"}
    for _ in range(2):
        result = run_function("install-cni.sh", f'set_flannel_network "{manifest}"', **env)
        assert result.returncode == 0, result.stderr
        assert '"Network": "172.20.0.0/16",' in manifest.read_text()


def test_taint_script_refuses_an_unknown_action():
    result = run_function("control-plane-taint.sh", "main", NODE_NAME="cp", TAINT_ACTION="toggle")
    assert result.returncode != 0 and "remove or restore" in result.stderr


@pytest.mark.parametrize(
    "installed, accepted", [("2.1.5-1~ubuntu.22.04~jammy", True), ("1.7.27-1", False), ("20.1-1", False)]
)
def test_containerd_outside_the_pinned_line_is_refused(installed, accepted):
    result = run_function("install-containerd.sh", f"require_version_line {installed}", CONTAINERD_LINE="2")
    assert (result.returncode == 0) is accepted
    if not accepted:
        assert "2.x line is required" in result.stderr


INIT_VARIABLES = {
    "NODE_NAME": "lab-control-plane",
    "LOGIN_USER": "ubuntu",
    "KUBEADM_CONFIG": (
        "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: stable-1.36\n"
    ),
    "CA_CERT": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
}


def fake_kubeadm(tmp_path: Path) -> str:
    """A directory with a `kubeadm` that reports an installed version, to put first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubeadm").write_text('#!/bin/sh\n[ "$*" = "version -o short" ] && echo v1.36.4\n')
    (bin_dir / "kubeadm").chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


def test_init_config_is_pinned_to_the_installed_kubeadm(tmp_path: Path):
    config = tmp_path / "state" / "kubeadm-config.yaml"
    result = run_function("kubeadm-init.sh", f'write_config "{config}"', **INIT_VARIABLES, PATH=fake_kubeadm(tmp_path))
    assert result.returncode == 0, result.stderr
    assert config.read_text().splitlines()[2] == "kubernetesVersion: v1.36.4"
    assert config.read_text().splitlines()[:2] == INIT_VARIABLES["KUBEADM_CONFIG"].splitlines()[:2]


def test_rerun_with_the_same_configuration_is_accepted_and_a_changed_one_refused(tmp_path: Path):
    fingerprint = tmp_path / "init.sha256"
    recorded = run_function("kubeadm-init.sh", f'desired_fingerprint >"{fingerprint}"', **INIT_VARIABLES)
    assert recorded.returncode == 0 and len(fingerprint.read_text().strip()) == 64
    same = run_function("kubeadm-init.sh", f'refuse_changed_configuration "{fingerprint}"', **INIT_VARIABLES)
    assert same.returncode == 0 and "already initialised with this configuration" in same.stdout
    changed = {**INIT_VARIABLES, "KUBEADM_CONFIG": INIT_VARIABLES["KUBEADM_CONFIG"].replace("1.36", "1.37")}
    refused = run_function("kubeadm-init.sh", f'refuse_changed_configuration "{fingerprint}"', **changed)
    assert refused.returncode != 0 and "cannot change in place" in " ".join(refused.stderr.split())
