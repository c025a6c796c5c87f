"""A new machine for a node step: the step's rendered script runs as root, as it does on a node, in a
private mount and network namespace (`unshare -mn`) where /etc, /var, /usr/local, /home, /root and /run
are overlays over this machine's, which holds nothing of Kubernetes. Into them goes first what node
preparation leaves (NODE_PREPARATION), and nothing else: no directory a test made for the script. The
overlays' upper directories are the node's disk: they persist between runs on the same Node, so a run
sees what an earlier one left, and `Node.disk()` tells exactly what the steps changed.

The tools that cannot run here are stand-ins (tests/stand_ins/, and kubectl from
tests/kubectl_stand_in.py) that act on those real paths and keep the cluster's side in a state
directory outside the namespace (`Cluster`): its Nodes, tokens, etcd members and CA, whether its API
server answers, and the faults a test asks a tool to show. `sleep` moves a clock instead of waiting, so
"the API server is away for ten minutes" takes a moment. Everything else (bash, coreutils, openssl,
install, base64, sed) is this machine's own.

Needs root and overlayfs (CI runs as root); elsewhere the tests that use it are skipped, and with
REQUIRE_VM_TEST=1 (as .ci/run sets it) they fail instead.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kubectl_stand_in import FakeCluster

ROOT = Path(__file__).resolve().parent.parent
OVERLAID = ("etc", "var", "usr/local", "home", "root", "run")
# What node preparation leaves that the steps rely on, and nothing else (scripts/node-prep/, cloud-init):
NODE_PREPARATION = """
install -d -m 0755 /etc/kubernetes/manifests  # shipped by the kubelet package (pkgs.k8s.io)
install -d -m 0755 /etc/containerd && echo 'version = 3' >/etc/containerd/config.toml  # install-containerd.sh
id ubuntu >/dev/null 2>&1 || useradd --create-home --shell /bin/bash ubuntu  # the Ubuntu image's login user
"""
# The stand-ins on a node's PATH: the function of tests/stand_ins/ that plays each tool (those of
# quiet.py are told the tool's name).
STAND_INS = {
    "kubectl": "kubectl.main",
    "kubeadm": "kubeadm.main",
    "sleep": "sleep.main",
    "etcdctl": "etcd_tools.etcdctl",
    "etcdutl": "etcd_tools.etcdutl",
    "curl": "network.curl",
    "ctr": "containerd.main",
    "aws": "aws.main",
    "systemctl": "quiet.main",
    "crictl": "quiet.main",
    "snap": "quiet.main",
    "cloud-init": "quiet.main",
    "kubelet": "quiet.main",
    "pgrep": "quiet.main",
    "apt-get": "apt.apt_get",
    "apt-mark": "apt.apt_mark",
    "gpg": "apt.gpg",
}
STEP_TIMEOUT = 30  # wall seconds: the stand-ins' clock moves on sleep, so a step that waits longer loops
LOGS = "var/log"  # what a step may write whatever happens: not part of the node's state


@functools.cache
def unavailable() -> str | None:
    """Why the harness cannot run here, or None."""
    if os.geteuid() != 0:
        return "the fresh-node harness needs root (a mount namespace with overlays); CI runs as root"
    if not shutil.which("unshare"):
        return "the fresh-node harness needs unshare (util-linux)"
    probe = subprocess.run(
        ["unshare", "-mn", "bash", "-c", "d=$(mktemp -d) && mkdir $d/u $d/w && "
         "mount -t overlay overlay -o lowerdir=/etc,upperdir=$d/u,workdir=$d/w /etc"],
        capture_output=True, text=True,
    )  # fmt: skip
    return None if probe.returncode == 0 else f"overlayfs is not available here: {probe.stderr.strip()}"


def require() -> None:
    if reason := unavailable():
        if os.environ.get("REQUIRE_VM_TEST") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


class Cluster(FakeCluster):
    """The cluster's side of every node: what the API server holds and whether it answers."""

    def __init__(self, root: Path, ca_pem: str, tokens: tuple[str, ...] = (), built: bool = True):
        """A cluster kubeadm init `built` (its kubelet-config ConfigMap uploaded), or one that it is to build."""
        kubelet_config = {"metadata": {"name": "kubelet-config", "namespace": "kube-system"},
                          "data": {"kubelet": "kind: KubeletConfiguration\nserverTLSBootstrap: true\n"}}  # fmt: skip
        super().__init__(root, {"nodes": [], "tokens": list(tokens), "etcd-members": [],
                                "configmaps": [kubelet_config] if built else []})  # fmt: skip
        (self.state / "ca.crt").write_text(ca_pem)
        bin_dir = root / "bin"
        (bin_dir / "kubectl").rename(bin_dir / "kubectl-objects")  # what stand_ins/kubectl.py builds on
        for tool, function in STAND_INS.items():
            module = function.split(".")[0]
            arguments = f"{tool!r}, sys.argv[1:]" if module == "quiet" else "sys.argv[1:]"
            (bin_dir / tool).write_text(
                f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                f"from tests.stand_ins import {module}\n{function}({arguments})\n"
            )
            (bin_dir / tool).chmod(0o755)

    @classmethod
    def reopen(cls, root: Path) -> Cluster:
        """The cluster whose state and stand-ins are under `root` (a copy of another's)."""
        found = cls.__new__(cls)
        found.root, found.state, found.path = root, root / "kube-state", f"{root / 'bin'}:/usr/bin:/bin"
        return found

    def read(self, kind: str, default):
        """What the stand-ins keep of a kind (nodes, etcd-members, clock, faults, endpoints, s3 …)."""
        path = self.state / f"{kind}.json"
        return json.loads(path.read_text()) if path.exists() else default

    def save(self, kind: str, value) -> None:
        """What the cluster holds of a kind, as the stand-ins keep it (s3: each bucket's keys)."""
        (self.state / f"{kind}.json").write_text(json.dumps(value))

    @property
    def clock(self) -> float:
        return self.read("clock", 0.0)

    def away(self, seconds: float) -> None:
        """The API server stops answering for `seconds` from now (on the clock `sleep` moves)."""
        self.save("api", {"away_until": self.clock + seconds})

    def fault(self, tool: str, *faults: str) -> None:
        """`tool` shows these faults on its next calls, in order (each stand-in says which it knows)."""
        queued = self.read("faults", {})
        queued.setdefault(tool, []).extend(faults)
        self.save("faults", queued)

    def endpoint(self, address: str, said: str) -> None:
        """What ADDRESS:PORT does when a step probes it: answers, refused, unreachable or silent."""
        self.save("endpoints", {**self.read("endpoints", {}), address: said})

    def nodes(self) -> list[str]:
        return self.names("nodes")

    def etcd_members(self) -> list[str]:
        return [m["name"] for m in self.read("etcd-members", [])]


class Node:
    """One machine of the cluster, new when created: its disk is the overlays' upper directories."""

    def __init__(self, tmp_path: Path, cluster: Cluster, name: str):
        require()
        self.cluster = cluster
        self.name = name
        self.disk_dir = tmp_path / f"node-{name}"
        for directory in OVERLAID:
            (self.disk_dir / directory / "upper").mkdir(parents=True)
            (self.disk_dir / directory / "work").mkdir(parents=True)
        prepared = self._run(NODE_PREPARATION, "", {})
        assert prepared.returncode == 0, prepared.stderr

    @classmethod
    def reopen(cls, tmp_path: Path, cluster: Cluster, name: str) -> Node:
        """The machine whose disk is under `tmp_path` (a copy of another's), as it was left."""
        found = cls.__new__(cls)
        found.cluster, found.name, found.disk_dir = cluster, name, tmp_path / f"node-{name}"
        return found

    def _run(self, script: str, stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        mounts = "".join(
            f"mount -t overlay overlay -o lowerdir=/{d},upperdir={self.disk_dir / d / 'upper'},"
            f"workdir={self.disk_dir / d / 'work'} /{d}\n"
            for d in OVERLAID
        )
        inner = f'set -e\n{mounts}cd /\nexec bash -c "$STEP"\n'
        environment = {
            **self.cluster.env(**env),
            "PATH": f"{self.cluster.root / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "STEP": script,
            "HOME": "/root",
            "STAND_IN_NODE": self.name,
            "STAND_IN_BIN": str(self.cluster.root / "bin"),
        }
        return subprocess.run(["unshare", "-mn", "bash", "-c", inner], input=stdin, capture_output=True, text=True,
                              env=environment, timeout=STEP_TIMEOUT)  # fmt: skip

    def run(self, script: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
        """Runs a rendered step on this node, its secrets on stdin, as pulumi-command runs it."""
        return self._run(script, stdin, env)

    def disk(self) -> dict[str, str]:
        """What the steps have written: each path (as the node sees it) to a digest of its content, its
        mode and owner; a deleted file shows as "deleted". Logs are left out."""
        found = {}
        for directory in OVERLAID:
            upper = self.disk_dir / directory / "upper"
            for path in sorted(upper.rglob("*")):
                relative = f"{directory}/{path.relative_to(upper)}"
                if relative.startswith(LOGS):
                    continue
                info = path.lstat()
                if path.is_char_device() and info.st_rdev == 0:  # an overlay whiteout
                    found[f"/{relative}"] = "deleted"
                elif path.is_file() and not path.is_symlink():
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                    found[f"/{relative}"] = f"{digest} {oct(info.st_mode)} {info.st_uid}:{info.st_gid}"
                else:
                    found[f"/{relative}"] = f"dir {oct(info.st_mode)}" if path.is_dir() else "other"
        return found

    def has(self, path: str) -> bool:
        return self.disk().get(path, "deleted") != "deleted"

    def read(self, path: str) -> str:
        relative = path.lstrip("/")
        directory = next(d for d in OVERLAID if relative.startswith(d + "/"))
        return (self.disk_dir / directory / "upper" / relative[len(directory) + 1 :]).read_text()
