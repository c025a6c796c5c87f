"""The bootstrap scripts (scripts/bootstrap/), run for real by bash on sample files and with stand-ins
for kubeadm where the decision is the script's own."""

from pathlib import Path

import pytest

from tests.shell import run_function

CALICO_SNIPPET = """\
            - name: CALICO_IPV4POOL_IPIP
              value: "Always"
            # - name: CALICO_IPV4POOL_CIDR
            #   value: "192.168.0.0/16"
            - name: CALICO_DISABLE_FILE_LOGGING
"""


def cni_env(cni: str, pod_cidr: str = "10.244.0.0/16") -> dict:
    return {"CNI": cni, "MANIFEST_URL": "u", "MANIFEST_SHA256": "s", "POD_CIDR": pod_cidr, "ADMIN_KUBECONFIG": "k"}


def test_calico_pool_is_set_to_the_pod_cidr_once(tmp_path: Path):
    manifest = tmp_path / "calico.yaml"
    manifest.write_text(CALICO_SNIPPET)
    env = cni_env("calico", "10.244.0.0/16")
    for _ in range(2):
        result = run_function("bootstrap/install-cni.sh", f'set_calico_pool "{manifest}"', **env)
        assert result.returncode == 0, result.stderr
        assert manifest.read_text().splitlines()[2:4] == [
            "            - name: CALICO_IPV4POOL_CIDR",
            '              value: "10.244.0.0/16"',
        ]


def test_calico_manifest_without_the_pool_setting_fails(tmp_path: Path):
    manifest = tmp_path / "calico.yaml"
    manifest.write_text("kind: DaemonSet\n")
    env = cni_env("calico", "10.244.0.0/16")
    assert run_function("bootstrap/install-cni.sh", f'set_calico_pool "{manifest}"', **env).returncode != 0


def test_flannel_network_is_set_to_the_pod_cidr(tmp_path: Path):
    manifest = tmp_path / "kube-flannel.yml"
    manifest.write_text(
        '  net-conf.json: |\n    {\n      "Network": "10.244.0.0/16",\n      "EnableNFTables": false,\n'
    )
    env = cni_env("flannel", "172.20.0.0/16")
    for _ in range(2):
        result = run_function("bootstrap/install-cni.sh", f'set_flannel_network "{manifest}"', **env)
        assert result.returncode == 0, result.stderr
        assert '"Network": "172.20.0.0/16",' in manifest.read_text()


def test_taint_script_refuses_an_unknown_action():
    result = run_function(
        "bootstrap/control-plane-taint.sh",
        "main",
        NODE_NAME="cp",
        TAINT_ACTION="toggle",
        ADMIN_KUBECONFIG="/dev/null",
        CLUSTER_ID="c",
    )
    assert result.returncode != 0 and "remove or restore" in result.stderr


def stand_in_kubectl(tmp_path: Path, existing: str) -> str:
    """A kubectl that knows one DaemonSet ("namespace/name"), for the script's own decision."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "kubectl").write_text(
        f'#!/bin/sh\n[ "$1 $2 $3 $4 $5" = "-n {existing.split("/")[0]} get daemonset {existing.split("/")[1]}" ]\n'
    )
    (bin_dir / "kubectl").chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


@pytest.mark.parametrize(
    "cni, running, refused",
    [
        ("flannel", "kube-system/calico-node", True),
        ("calico", "kube-flannel/kube-flannel-ds", True),
        ("calico", "kube-system/calico-node", False),
    ],
)
def test_another_pod_network_is_not_swapped_in_place(tmp_path, cni, running, refused):
    env = {
        "CNI": cni,
        "MANIFEST_URL": "u",
        "MANIFEST_SHA256": "s",
        "POD_CIDR": "10.244.0.0/16",
        "ADMIN_KUBECONFIG": "k",
    }
    result = run_function(
        "bootstrap/install-cni.sh", "refuse_another_pod_network", **env, PATH=stand_in_kubectl(tmp_path, running)
    )
    assert (result.returncode != 0) is refused
    if refused:
        assert f"cannot be swapped for {cni}" in result.stderr and running in result.stderr
