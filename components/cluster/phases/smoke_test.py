"""The smoke test after the readiness gate: a web server pod on every node, cluster DNS, pod to pod
across nodes and, with AWS integration, a volume that binds and mounts (scripts/bootstrap/smoke-test.sh).
The manifests are rendered here; the test pods run as an unprivileged user with nothing to escalate."""

from __future__ import annotations

from collections.abc import Sequence

import yaml
from pulumi_command import remote

from components import versions
from components.aws.nodes import NodeInfo
from components.cluster.remote_steps import Step, StepRunner
from components.cluster.script_rendering import render

NAMESPACE = "kubeadm-aws-smoke-test"
APP = "smoke-test"
HTTP_PORT = 8080
NOBODY = 65534
VOLUME_CHECK = "volume-check"
VOLUME_SIZE = "1Gi"

# Each pod serves its node's name, so a pod on another node can tell whom it reached.
SERVE_NODE_NAME = f'echo "$NODE_NAME" > /www/index.html && exec httpd -f -p {HTTP_PORT} -h /www'


def _restricted_container(name: str, command: str, **extra) -> dict:
    return {
        "name": name,
        "image": versions.SMOKE_TEST_IMAGE,
        "command": ["sh", "-c", command],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": NOBODY,
            "runAsGroup": NOBODY,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
        **extra,
    }


def workload() -> str:
    """The namespace and a DaemonSet that tolerates every taint, so it runs on the control plane too."""
    labels = {"app": APP}
    container = _restricted_container(
        "web",
        SERVE_NODE_NAME,
        env=[{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        ports=[{"containerPort": HTTP_PORT}],
        readinessProbe={"httpGet": {"path": "/", "port": HTTP_PORT}, "periodSeconds": 2},
        volumeMounts=[{"name": "www", "mountPath": "/www"}],
    )
    documents = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": APP, "namespace": NAMESPACE},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "tolerations": [{"operator": "Exists"}],
                        "automountServiceAccountToken": False,
                        "containers": [container],
                        "volumes": [{"name": "www", "emptyDir": {}}],
                    },
                },
            },
        },
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def volume_check() -> str:
    """A claim of the default StorageClass and a pod that writes to it and reads it back."""
    documents = [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": VOLUME_CHECK, "namespace": NAMESPACE},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": VOLUME_SIZE}}},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": VOLUME_CHECK, "namespace": NAMESPACE},
            "spec": {
                "restartPolicy": "Never",
                "automountServiceAccountToken": False,
                "securityContext": {"fsGroup": NOBODY},
                "containers": [
                    _restricted_container(
                        "write-and-read",
                        "echo written > /data/check && grep -qx written /data/check",
                        volumeMounts=[{"name": "data", "mountPath": "/data"}],
                    )
                ],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": VOLUME_CHECK}}],
            },
        },
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def smoke_test(
    run: StepRunner,
    control_plane: NodeInfo,
    *,
    cluster_name: str,
    nodes: Sequence[NodeInfo],
    with_volume: bool,
    ready: remote.Command,
) -> remote.Command:
    """Runs again whenever the readiness gate does (a node replaced, the cluster built anew)."""
    return run.run(
        Step(
            f"{cluster_name}-smoke-test",
            control_plane,
            render(
                "bootstrap/smoke-test.sh",
                NAMESPACE=NAMESPACE,
                WORKLOAD=workload(),
                VOLUME_CHECK=volume_check() if with_volume else "none",
                NODE_NAMES=" ".join(node.name for node in nodes),
            ),
            triggers=[ready.id],
            after=[ready],
            timeout="15m",
        )
    )
