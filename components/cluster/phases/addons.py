"""The AWS add-ons, installed after the pod network when AWS integration is on: the cloud controller
(LoadBalancer Services, node initialisation), the EBS CSI driver (volumes) and an encrypted gp3
StorageClass marked default. Their manifests are pinned in components/versions.py."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import yaml
from pulumi_command import remote

from components import versions
from components.aws.nodes import NodeInfo
from components.cluster import delete_hooks
from components.cluster.remote_steps import Step, StepRunner
from components.cluster.script_rendering import render
from components.facts import API_SERVER_PORT

STORAGE_CLASS = "gp3-encrypted"
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"


def _kustomization(manifests: versions.ManifestSet, **extra) -> str:
    document = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": list(manifests.files),
        **extra,
    }
    return yaml.safe_dump(document, sort_keys=False)


def _json_patch(target: dict, operations: list[dict]) -> dict:
    return {"target": target, "patch": yaml.safe_dump(operations, sort_keys=False)}


def cloud_controller_kustomization(cluster_name: str, kubernetes_minor: str) -> str:
    """The release of the cluster's minor, told the cluster's name (it tags what it creates with it)."""
    return _kustomization(
        versions.CLOUD_CONTROLLER_MANIFESTS,
        images=[
            {"name": versions.CLOUD_CONTROLLER_IMAGE, "newTag": versions.CLOUD_CONTROLLER_RELEASES[kubernetes_minor]}
        ],
        patches=[
            _json_patch(
                {"kind": "DaemonSet", "name": "aws-cloud-controller-manager"},
                [
                    {
                        "op": "add",
                        "path": "/spec/template/spec/containers/0/args/-",
                        "value": f"--cluster-name={cluster_name}",
                    }
                ],
            )
        ],
    )


def ebs_csi_kustomization(cluster_name: str) -> str:
    """The controller runs on the control plane, whose role alone may create and delete volumes, and
    tags each volume with the cluster (kubernetes.io/cluster/<name>), as the cloud controller tags its
    load balancers."""
    return _kustomization(
        versions.EBS_CSI_MANIFESTS,
        namespace="kube-system",
        patches=[
            _json_patch(
                {"kind": "Deployment", "name": "ebs-csi-controller"},
                [
                    {
                        "op": "add",
                        "path": "/spec/template/spec/nodeSelector/" + CONTROL_PLANE_LABEL.replace("/", "~1"),
                        "value": "",
                    },
                    {
                        "op": "add",
                        "path": "/spec/template/spec/tolerations/-",
                        "value": {"key": CONTROL_PLANE_LABEL, "operator": "Exists", "effect": "NoSchedule"},
                    },
                    {
                        "op": "add",
                        "path": "/spec/template/spec/containers/0/args/-",
                        "value": f"--k8s-tag-cluster-id={cluster_name}",
                    },
                ],
            )
        ],
    )


def storage_class() -> str:
    """Encrypted gp3 volumes, created where the pod lands, the cluster's default."""
    return yaml.safe_dump(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {
                "name": STORAGE_CLASS,
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            "provisioner": "ebs.csi.aws.com",
            "parameters": {"type": "gp3", "encrypted": "true"},
            "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": True,
            "reclaimPolicy": "Delete",
        },
        sort_keys=False,
    )


def _install_step(
    node: NodeInfo, manifests: versions.ManifestSet, kustomization: str, rollouts: str, after: Sequence[pulumi.Resource]
) -> Step:
    """Applies a pinned manifest set with the program's kustomization; a new release re-applies it."""
    return Step(
        f"{node.name}-{manifests.name}",
        node,
        render(
            "bootstrap/install-manifests.sh",
            NAME=manifests.name,
            BASE_URL=manifests.base_url,
            FILES="".join(f"{name} {sha256}\n" for name, sha256 in manifests.files.items()),
            KUSTOMIZATION=kustomization,
            ROLLOUTS=rollouts,
        ),
        triggers=[node.instance.id],
        after=after,
        timeout="20m",
    )


def install_aws_addons(
    run: StepRunner,
    node: NodeInfo,
    *,
    cluster_name: str,
    kubernetes_minor: str,
    after: Sequence[pulumi.Resource],
) -> list[remote.Command]:
    cloud_controller = run.run(
        _install_step(
            node,
            versions.CLOUD_CONTROLLER_MANIFESTS,
            cloud_controller_kustomization(cluster_name, kubernetes_minor),
            "kube-system/daemonset/aws-cloud-controller-manager",
            after,
        )
    )
    csi_driver = run.run(
        _install_step(
            node,
            versions.EBS_CSI_MANIFESTS,
            ebs_csi_kustomization(cluster_name),
            "kube-system/deployment/ebs-csi-controller kube-system/daemonset/ebs-csi-node",
            [cloud_controller],
        )
    )
    default_storage = run.run(
        Step(
            f"{node.name}-storage-class",
            node,
            render("bootstrap/apply-manifest.sh", NAME=f"StorageClass {STORAGE_CLASS}", MANIFEST=storage_class()),
            triggers=[node.instance.id],
            after=[csi_driver],
        )
    )
    return [cloud_controller, csi_driver, default_storage]


def remove_aws_resources_at_destroy(
    run: StepRunner, node: NodeInfo, *, after: Sequence[pulumi.Resource]
) -> remote.Command:
    """A step that does nothing when created; at `pulumi destroy` it is deleted before what it waits for,
    and its delete removes the cluster's load balancers and volumes from AWS first. `after` must hold
    everything that delete needs: Pulumi deletes a resource only once all that depend on it are gone,
    and everything else at once. It has no triggers: a replaced control plane updates it."""
    api_server = pulumi.Output.concat("https://", node.private_ip, f":{API_SERVER_PORT}")
    return run.run(
        Step(
            f"{node.name}-aws-cleanup",
            node,
            api_server.apply(
                lambda server: render("bootstrap/remove-aws-resources.sh", MODE="announce", API_SERVER=server)
            ),
            after=after,
            delete=delete_hooks.remove_aws_resources(api_server),
        )
    )
