"""Who may use the cluster from outside: the admin certificate's user bound to cluster-admin (a new
`adminGeneration` binds a new user, which takes every older certificate's access back), and a
namespace-scoped ServiceAccount token for consumer stacks (the `workloadKubeconfig` output)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import yaml
from pulumi_command import remote

from components.aws.nodes import NodeInfo
from components.cluster.remote_steps import Step, StepRunner
from components.cluster.script_rendering import render

ADMIN_BINDING = "kubeadm-aws-admin"
WORKLOAD_NAMESPACE = "workloads"
WORKLOAD_ACCOUNT = "deployer"
RBAC = "rbac.authorization.k8s.io"
ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
READ = ["get", "list", "watch"]

# What a stack like examples/nginx-workload manages, and what pulumi-kubernetes reads to know it is ready.
WORKLOAD_RULES = [
    {"apiGroups": [""], "resources": ["services", "persistentvolumeclaims", "configmaps"], "verbs": ALL_VERBS},
    {"apiGroups": [""], "resources": ["pods", "pods/log", "events", "endpoints"], "verbs": READ},
    {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets"], "verbs": ALL_VERBS},
    {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": READ},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": READ},
]


def admin_binding(user: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": ADMIN_BINDING},
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"apiGroup": RBAC, "kind": "User", "name": user}],
        },
        sort_keys=False,
    )


def workload_access_manifest() -> str:
    metadata = {"name": WORKLOAD_ACCOUNT, "namespace": WORKLOAD_NAMESPACE}
    documents = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": WORKLOAD_NAMESPACE}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata},
        {"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": metadata, "rules": WORKLOAD_RULES},
        {
            "apiVersion": f"{RBAC}/v1",
            "kind": "RoleBinding",
            "metadata": metadata,
            "roleRef": {"apiGroup": RBAC, "kind": "Role", "name": WORKLOAD_ACCOUNT},
            "subjects": [{"kind": "ServiceAccount", "name": WORKLOAD_ACCOUNT, "namespace": WORKLOAD_NAMESPACE}],
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": f"{WORKLOAD_ACCOUNT}-token",
                "namespace": WORKLOAD_NAMESPACE,
                "annotations": {"kubernetes.io/service-account.name": WORKLOAD_ACCOUNT},
            },
        },
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def grant_access(
    run: StepRunner,
    control_plane: NodeInfo,
    *,
    admin_user: str,
    cluster_id: pulumi.Input[str],
    after: Sequence[pulumi.Resource],
) -> tuple[remote.Command, remote.Command]:
    """The admin user's binding, and the workload token (the second step's stdout, a secret). Both run
    again on a new control plane or a cluster built anew."""
    triggers = [control_plane.instance.id, cluster_id]
    admin = run.run(
        Step(
            f"{control_plane.name}-admin-access",
            control_plane,
            render(
                "bootstrap/apply-manifest.sh",
                NAME=f"ClusterRoleBinding {ADMIN_BINDING}",
                MANIFEST=admin_binding(admin_user),
            ),
            triggers=triggers,
            after=after,
        )
    )
    workload = run.run(
        Step(
            f"{control_plane.name}-workload-access",
            control_plane,
            render(
                "bootstrap/workload-access.sh",
                NAMESPACE=WORKLOAD_NAMESPACE,
                SERVICE_ACCOUNT=WORKLOAD_ACCOUNT,
                MANIFEST=workload_access_manifest(),
            ),
            triggers=triggers,
            after=after,
            secret_output=True,
        )
    )
    return admin, workload
