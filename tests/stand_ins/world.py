"""What the stand-ins share: the call log, a clock that only `sleep` moves, whether the API server
answers, the cluster's objects and CA, and the faults a test asks for."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

STATE = Path(os.environ.get("KUBE_STATE", "/nonexistent"))
NODE = os.environ.get("STAND_IN_NODE", "")  # the node the tool runs on (tests/fresh_node.py)
BIN = os.environ.get("STAND_IN_BIN", "")  # where the stand-ins are
KUBERNETES_VERSION = "v1.36.2"  # what kubeadm, the kubelet and the control plane run
REFUSED = "The connection to the server {server} was refused - did you specify the right host or port?"


def log(tool: str, args: list[str]) -> None:
    with open(STATE / "calls.log", "a") as calls:
        calls.write(f"{tool} {' '.join(args)}\n")


def read(name: str, default):
    path = STATE / name
    return json.loads(path.read_text()) if path.exists() else default


def _write(name: str, value) -> None:
    # Whole or not at all: two stand-ins of one pipeline may read and write the same kind.
    partial = STATE / f".{name}.{os.getpid()}"
    partial.write_text(json.dumps(value))
    partial.replace(STATE / name)


def now() -> float:
    """Seconds the node's steps have slept since the test began."""
    return read("clock.json", 0.0)


def advance(seconds: float) -> None:
    _write("clock.json", now() + seconds)


def api_answers() -> bool:
    """The API server is away until the clock reaches `away_until` (tests/fresh_node.py Cluster.away)."""
    return now() >= read("api.json", {}).get("away_until", 0)


def objects(kind: str) -> list[dict]:
    return read(f"{kind}.json", [])


def save(kind: str, items: list[dict]) -> None:
    _write(f"{kind}.json", items)


def cluster_ca() -> str:
    return (STATE / "ca.crt").read_text()


def take_fault(tool: str) -> str | None:
    """The next fault a test asked `tool` to show (a list per tool, used up in order), or None."""
    faults = read("faults.json", {})
    queue = faults.get(tool, [])
    if not queue:
        return None
    fault = queue.pop(0)
    _write("faults.json", faults)
    return fault


def register_node(name: str, flags: dict[str, str]) -> None:
    """A kubelet registers its Node unless one of that name exists (then it keeps it as it is)."""
    nodes = objects("nodes")
    for node in nodes:
        if node["metadata"]["name"] == name:
            node.pop("stopped_at", None)  # its kubelet runs again
            save("nodes", nodes)
            return
    address = [{"type": "InternalIP", "address": flags["node-ip"]}] if flags.get("node-ip") else []
    # The kubelet's own labels (pkg/kubelet/kubelet_node_status.go, initialNode).
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    node = {"metadata": {"name": name, "labels": labels}, "spec": {"providerID": flags.get("provider-id", "")},
            "status": {"addresses": address, "nodeInfo": {"kubeletVersion": KUBERNETES_VERSION}}}  # fmt: skip
    save("nodes", [*nodes, node])


NODE_GRACE_SECONDS = 40  # kube-controller-manager --node-monitor-grace-period (40 s; 50 s from 1.32)


def change_node(name: str, change: Callable[[dict], object]) -> bool:
    """Applies `change` to the Node of that name and keeps the result; False when there is none."""
    nodes = objects("nodes")
    found = [node for node in nodes if node["metadata"]["name"] == name]
    for node in found:
        change(node)
    save("nodes", nodes)
    return bool(found)


def kubelet_stopped(name: str) -> None:
    """The node's kubelet stops: its Node turns NotReady once the grace period has passed."""
    change_node(name, lambda node: node.update(stopped_at=now()))


def node_ready(name: str) -> bool:
    """Whether the cluster holds a Node of that name whose kubelet runs, or stopped within the grace."""
    for node in objects("nodes"):
        if node["metadata"]["name"] == name:
            stopped = node.get("stopped_at")
            return stopped is None or now() < stopped + NODE_GRACE_SECONDS
    return False


def label_node(name: str, key: str, value: str) -> None:
    change_node(name, lambda node: node["metadata"].setdefault("labels", {}).update({key: value}))


def taint_node(name: str, taint: dict) -> None:
    def replace(node: dict) -> None:
        kept = [t for t in node.setdefault("spec", {}).get("taints", []) if t["key"] != taint["key"]]
        node["spec"]["taints"] = [*kept, taint]

    change_node(name, replace)


def api_server_started(node: str) -> None:
    """The kubelet starts the node's kube-apiserver anew (its manifest changed, or its container stopped)."""
    started = read("api-servers.json", {})
    started[node] = started.get(node, 0) + 1
    _write("api-servers.json", started)


def api_server_pid(node: str) -> int | None:
    """The process id of the node's kube-apiserver: a new one each time it starts; None when it never did."""
    started = read("api-servers.json", {}).get(node)
    return 4000 + started if started else None


def kubelet_reports(name: str, version: str) -> None:
    """A kubelet that starts reports its version in its Node's status.nodeInfo."""
    change_node(
        name, lambda node: node.setdefault("status", {}).setdefault("nodeInfo", {}).update(kubeletVersion=version)
    )
