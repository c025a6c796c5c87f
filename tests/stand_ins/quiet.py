"""systemctl, crictl and the other tools whose effect a step does not read back: each call is logged (tests
check what was asked) and succeeds, unless a test asked this tool to fail once. What is read back:
`systemctl restart kubelet` starts a kubelet, which registers its Node from the arguments kubeadm left
it (/var/lib/kubelet/kubeadm-flags.env) when the cluster has none of its name; `kubelet --version`
prints "Kubernetes VERSION" (what apt installed: tests/stand_ins/apt.py); `cloud-init status --wait` waits for
cloud-init to finish and prints "status: done" (cloud-init's cmd/status.py: exit 0 when done, 1 on an
error, 2 on a recoverable one). A kubelet whose configuration asks for a serving certificate
(serverTLSBootstrap) gets one of the cluster CA once the control plane approves kubelet serving requests
(its approver's service was enabled): the controller manager signs it with the CA's key
(kube-controller-manager's csrsigning controller), as /var/lib/kubelet/pki/kubelet-server-current.pem.
`pgrep -o -x kube-apiserver` prints the process id of the node's API server (tests/stand_ins/world.py),
`crictl ps -q --name ^kube-apiserver$` its container, and `crictl stop` of that container makes the
kubelet start a new one. A kubelet that runs keeps asking until it has one (its certificate manager
retries), so a step that waits for it finds it once the approver runs (tests/stand_ins/sleep.py asks
`kubelet_keeps_asking`)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.stand_ins import apt, world
from tests.stand_ins.kubeadm import VERSION

FLAGS = Path("/var/lib/kubelet/kubeadm-flags.env")
KUBELET_CONFIG = Path("/var/lib/kubelet/config.yaml")
SERVING = Path("/var/lib/kubelet/pki/kubelet-server-current.pem")


def kubelet_keeps_asking() -> None:
    if world.node_ready(world.NODE) and not SERVING.exists() and asks_for_serving_certificate():
        serving_certificate()


def asks_for_serving_certificate() -> bool:
    return KUBELET_CONFIG.exists() and bool(re.search(r"(?m)^serverTLSBootstrap: true$", KUBELET_CONFIG.read_text()))


def serving_certificate() -> None:
    approving = any("kubelet-serving" in call and "enable" in call for call in
                    (world.STATE / "calls.log").read_text().splitlines())  # fmt: skip
    if not approving or not (world.STATE / "ca.key").exists():
        return
    SERVING.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        key, request = f"{work}/key.pem", f"{work}/request.csr"
        for command in (["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", key, "-subj", f"/O=system:nodes/CN=system:node:{world.NODE}", "-out", request],
                        ["openssl", "x509", "-req", "-in", request, "-CA", str(world.STATE / "ca.crt"),
                         "-CAkey", str(world.STATE / "ca.key"), "-days", "1", "-out", f"{work}/cert.pem"]):  # fmt: skip
            subprocess.run(command, check=True, capture_output=True)
        SERVING.write_text(Path(f"{work}/cert.pem").read_text() + Path(key).read_text())


def main(tool: str, args: list[str]) -> None:
    world.log(tool, args)
    if world.take_fault(tool) == "fail":
        sys.exit(f"{tool}: failed (a fault the test asked for)")
    if tool == "pgrep" and args[-1:] == ["kube-apiserver"]:
        pid = world.api_server_pid(world.NODE)
        sys.exit(print(pid) if pid else 1)
    if tool == "crictl" and "ps" in args and "^kube-apiserver$" in args and world.api_server_pid(world.NODE):
        print(f"apiserver-{world.api_server_pid(world.NODE)}")
    if tool == "crictl" and "stop" in args and args[-1].startswith("apiserver-"):
        world.api_server_started(world.NODE)
    if tool == "kubelet" and args == ["--version"]:
        print(f"Kubernetes {apt.installed(world.NODE).get('kubelet', VERSION)}")
    if tool == "cloud-init" and args[:1] == ["status"]:
        print("status: done")
    if tool == "systemctl" and args[-1:] == ["kubelet"] and args[0] in ("start", "restart") and FLAGS.exists():
        world.register_node(world.NODE, dict(re.findall(r"--([a-z-]+)=([^ \"]+)", FLAGS.read_text())))
        world.kubelet_reports(world.NODE, apt.installed(world.NODE).get("kubelet", VERSION))
        if asks_for_serving_certificate():
            serving_certificate()
