"""The control plane's steps: kubeadm init with the stack's keys, the pod network, and (without
workers) letting workloads run on the control plane."""

from __future__ import annotations

import pulumi
from pulumi_command import remote

from components import delete_hooks, hardening, kubeadm_config, versions
from components.facts import ETCD_LOCAL_ENDPOINT, LOGIN_USER
from components.nodes import NodeInfo
from components.phases.backups import BackupSchedule
from components.pki import ClusterCredentials
from components.remote_steps import Step, StepRunner
from components.script_rendering import render


def kubeadm_init(
    run: StepRunner,
    node: NodeInfo,
    *,
    cluster_name: str,
    kubernetes_minor: str,
    pod_cidr: str,
    service_cidr: str,
    credentials: ClusterCredentials,
    backups: BackupSchedule,
    aws_integration: bool,
    pod_security: str,
    after: remote.Command,
) -> remote.Command:
    """kubeadm init finds the stack's keys in its PKI directory; they arrive on stdin. A new control plane
    restores etcd from the newest snapshot first, if there is one. Its output is the cluster's identity
    (`cluster_id`)."""
    script = pulumi.Output.all(
        node.private_ip, node.public_ip, node.public_dns, backups.bucket, node.provider_id
    ).apply(
        lambda args: render(
            "bootstrap/kubeadm-init.sh",
            NODE_NAME=node.name,
            LOGIN_USER=LOGIN_USER,
            KUBEADM_CONFIG=kubeadm_config.init_configuration(
                cluster_name=cluster_name,
                node_name=node.name,
                private_ip=args[0],
                public_ip=args[1],
                endpoint_dns=args[2],
                kubernetes_minor=kubernetes_minor,
                pod_cidr=pod_cidr,
                service_cidr=service_cidr,
                provider_id=args[4] if aws_integration else None,
            ),
            POD_CIDR=pod_cidr,
            SERVICE_CIDR=service_cidr,
            CLOUD_PROVIDER="external" if aws_integration else "none",
            NODE_IP=args[0],
            BUCKET=args[3],
            PREFIX=backups.prefix,
            AWS_REGION=backups.region,
            ETCD_TOOLS_IMAGE=versions.ETCD_TOOLS.image,
            ETCD_TOOLS_VERSION=versions.ETCD_TOOLS.version,
            AWS_CLI_CHANNEL=versions.AWS_CLI_SNAP_CHANNEL,
            AUDIT_POLICY=hardening.audit_policy(),
            ADMISSION_CONFIG=hardening.admission_configuration(pod_security),
            HARDENING_FLAGS=" ".join(name for name, _ in hardening.API_SERVER_ARGS),
            INIT_TOKEN_DESCRIPTION=kubeadm_config.INIT_TOKEN_DESCRIPTION,
        )
    )
    return run.run(
        Step(
            f"{node.name}-kubeadm-init",
            node,
            script,
            stdin=credentials.control_plane_keys,
            triggers=[node.instance.id],
            secret_output=True,
            after=[after, backups.access],
        )
    )


def encrypt_secrets(
    run: StepRunner, node: NodeInfo, *, key_name: str, cluster_id: pulumi.Input[str], after: remote.Command
) -> remote.Command:
    """Proves that the API server writes Secrets with `key_name` (read back from etcd), then rewrites every
    Secret with it once: those stored before encryption or under the previous key."""
    script = pulumi.Output.from_input(cluster_id).apply(
        lambda identity: render(
            "bootstrap/encrypt-secrets.sh",
            KEY_NAME=key_name,
            CLUSTER_ID=identity,
            ETCD_ENDPOINT=ETCD_LOCAL_ENDPOINT,
            ETCD_TOOLS_IMAGE=versions.ETCD_TOOLS.image,
            ETCD_TOOLS_VERSION=versions.ETCD_TOOLS.version,
        )
    )
    return run.run(Step(f"{node.name}-secrets-encryption", node, script, triggers=[node.instance.id], after=[after]))


def cluster_id(init: remote.Command) -> pulumi.Output[str]:
    """The UID of the cluster's kube-system namespace, as kubeadm-init.sh prints it: the same for a control
    plane restored from a snapshot, another for a cluster built anew."""

    def parse(stdout: str) -> str:
        ids = [line.split("=", 1)[1] for line in stdout.splitlines() if line.startswith("cluster-id=")]
        return ids[-1] if ids else stdout.strip()

    return init.stdout.apply(parse)


def install_cni(run: StepRunner, node: NodeInfo, *, cni: str, pod_cidr: str, after: remote.Command) -> remote.Command:
    manifest = versions.CNI_MANIFESTS[cni]
    script = render(
        "bootstrap/install-cni.sh",
        CNI=cni,
        MANIFEST_URL=manifest.url,
        MANIFEST_SHA256=manifest.sha256,
        POD_CIDR=pod_cidr,
    )
    return run.run(Step(f"{node.name}-cni-{cni}", node, script, triggers=[node.instance.id], after=[after]))


def allow_workloads(
    run: StepRunner, node: NodeInfo, *, cluster_id: pulumi.Input[str], after: remote.Command
) -> remote.Command:
    """A single-node cluster runs workloads on its control plane; the taint comes back when it goes."""
    script = pulumi.Output.from_input(cluster_id).apply(
        lambda identity: render(
            "bootstrap/control-plane-taint.sh", NODE_NAME=node.name, TAINT_ACTION="remove", CLUSTER_ID=identity
        )
    )
    return run.run(
        Step(
            f"{node.name}-schedulable",
            node,
            script,
            delete=delete_hooks.restore_control_plane_taint(node.name, cluster_id),
            after=[after],
        )
    )
