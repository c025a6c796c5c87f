"""The control planes' steps: kubeadm init with the stack's keys on the first, the pod network, the
others joining one at a time, and (without workers) letting workloads run on the control plane."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_command import remote

from components import versions
from components.aws.nodes import NodeInfo
from components.cluster import delete_hooks, hardening, kubeadm_config
from components.cluster.phases import workers
from components.cluster.phases.backups import BackupSchedule
from components.cluster.phases.nodes import wait_for_cloud_init
from components.cluster.pki import ClusterCredentials, pki_bundle
from components.cluster.remote_steps import Step, StepRunner, render_following
from components.cluster.script_rendering import render
from components.facts import API_SERVER_PORT, ETCD_CLIENT_PORT, ETCD_LOCAL_ENDPOINT, LOGIN_USER

JOIN_CONFIG_ENTRY = "kubeadm-join.yaml"  # the JoinConfiguration's name in a joining control plane's key bundle


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
    endpoint: pulumi.Input[str],
    cert_sans: Sequence[pulumi.Input[str]],
    after: Sequence[pulumi.Resource],
    other_control_planes: Sequence[NodeInfo] = (),
) -> remote.Command:
    """kubeadm init finds the stack's keys in its PKI directory; they arrive on stdin. A new control plane
    restores etcd from the newest snapshot first, if there is one; with `other_control_planes` (behind
    load balancers) a new machine whose others answer joins them instead. Its output is the cluster's
    identity (`cluster_id`)."""
    behind_load_balancer = bool(other_control_planes)
    script = pulumi.Output.all(
        node.private_ip,
        pulumi.Output.all(*cert_sans),
        endpoint,
        backups.bucket,
        node.provider_id,
        credentials.discovery_hash,
        pulumi.Output.all(*(other.private_ip for other in other_control_planes)),
    ).apply(
        lambda args: render(
            "bootstrap/kubeadm-init.sh",
            NODE_NAME=node.name,
            LOGIN_USER=LOGIN_USER,
            KUBEADM_CONFIG=kubeadm_config.init_configuration(
                cluster_name=cluster_name,
                node_name=node.name,
                private_ip=args[0],
                cert_sans=args[1],
                endpoint_dns=args[2],
                kubernetes_minor=kubernetes_minor,
                pod_cidr=pod_cidr,
                service_cidr=service_cidr,
                provider_id=args[4] if aws_integration else None,
                behind_load_balancer=behind_load_balancer,
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
            HARDENING_FLAGS=hardening.api_server_flags(),
            INIT_TOKEN_DESCRIPTION=kubeadm_config.INIT_TOKEN_DESCRIPTION,
            API_SERVER_PORT=API_SERVER_PORT,
            OTHER_CONTROL_PLANE_IPS=" ".join(args[6]) or "none",
            ETCD_CLIENT_PORT=ETCD_CLIENT_PORT,
            REJOIN_CONFIG=(
                kubeadm_config.join_configuration(
                    node_name=node.name,
                    node_ip=args[0],
                    api_endpoint=f"{args[2]}:{API_SERVER_PORT}",
                    token=kubeadm_config.REJOIN_TOKEN_PLACEHOLDER,
                    ca_cert_hash=args[5],
                    provider_id=args[4] if aws_integration else None,
                    control_plane=True,
                )
                if behind_load_balancer
                else "none"
            ),
            REJOIN_TOKEN_DESCRIPTION=workers.join_token_description(node.name),
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
            after=[*after, backups.access],
        )
    )


def encrypt_secrets(
    run: StepRunner,
    node: NodeInfo,
    *,
    key_name: str,
    cluster_id: pulumi.Input[str],
    control_planes: Sequence[NodeInfo],
    after: Sequence[pulumi.Resource],
) -> remote.Command:
    """Proves that every control plane's API server writes Secrets with `key_name` (read back from etcd),
    then rewrites every Secret with it once: those stored before encryption or under the previous key."""
    script = pulumi.Output.all(cluster_id, *(cp.private_ip for cp in control_planes)).apply(
        lambda values: render(
            "bootstrap/encrypt-secrets.sh",
            KEY_NAME=key_name,
            API_SERVERS=" ".join(values[1:]),
            API_SERVER_PORT=API_SERVER_PORT,
            CLUSTER_ID=values[0],
            ETCD_ENDPOINT=ETCD_LOCAL_ENDPOINT,
            ETCD_TOOLS_IMAGE=versions.ETCD_TOOLS.image,
            ETCD_TOOLS_VERSION=versions.ETCD_TOOLS.version,
        )
    )
    return run.run(
        Step(f"{node.name}-secrets-encryption", node, script, triggers=[node.instance.id], after=list(after))
    )


def give_write_key(
    run: StepRunner,
    control_planes: Sequence[NodeInfo],
    *,
    key_name: str,
    encryption_config: pulumi.Input[str],
    cluster_id: pulumi.Input[str],
    after: Sequence[pulumi.Resource],
) -> list[remote.Command]:
    """Once every control plane's API server reads the newest Secrets key (their init and join steps,
    one after another, restart them with the configuration that only reads it during a rotation), each
    gets the one in which it writes; the API servers reload it on their own, and the rewrite of the
    Secrets after these steps proves that each writes with it first."""
    return [
        run.run(
            Step(
                f"{node.name}-secrets-write-key",
                node,
                render_following(
                    "bootstrap/secrets-write-key.sh", node, cluster_id, NODE_NAME=node.name, KEY_NAME=key_name
                ),
                stdin=encryption_config,
                secret_output=True,
                after=list(after),
            )
        )
        for node in control_planes
    ]


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


def join_control_plane(
    run: StepRunner,
    node: NodeInfo,
    *,
    first: NodeInfo,
    endpoint: pulumi.Input[str],
    credentials: ClusterCredentials,
    cluster_id: pulumi.Input[str],
    ssh_private_key: pulumi.Input[str],
    aws_integration: bool,
    pod_security: str,
    ready: Sequence[pulumi.Resource],
    after: Sequence[pulumi.Resource],
) -> tuple[remote.Command, remote.Command]:
    """One more control plane: a token from the first, the join on the node with the stack's keys and the
    JoinConfiguration on stdin, and the first seeing it registered (whose delete hook removes its Node and
    its etcd member before the instance goes). Returns (join, registered). The token waits for the
    first control plane to be `ready`; the join waits for `after` as well (the join of the control plane
    before, so that etcd adds one member at a time)."""
    token = workers.join_token(
        run, node, first=first, cluster_id=cluster_id, ssh_private_key=ssh_private_key, after=ready
    )
    join_config = workers.join_configuration(
        node, token, endpoint=endpoint, credentials=credentials, aws_integration=aws_integration, control_plane=True
    )
    stdin = pulumi.Output.secret(
        pulumi.Output.all(credentials.control_plane_keys, join_config).apply(
            lambda values: values[0] + pki_bundle({JOIN_CONFIG_ENTRY: ("0600", values[1])})
        )
    )
    joined = run.run(
        Step(
            f"{node.name}-join",
            node,
            render_following(
                "bootstrap/kubeadm-join-control-plane.sh",
                node,
                cluster_id,
                NODE_NAME=node.name,
                ATTEMPTS=workers.JOIN_ATTEMPTS,
                LOGIN_USER=LOGIN_USER,
                AUDIT_POLICY=hardening.audit_policy(),
                ADMISSION_CONFIG=hardening.admission_configuration(pod_security),
                HARDENING_FLAGS=hardening.api_server_flags(),
            ),
            stdin=stdin,
            secret_output=True,
            after=[wait_for_cloud_init(run, node), token, *after],
            timeout="20m",
        )
    )
    registered = workers.registered(
        run, node, first=first, cluster_id=cluster_id, ssh_private_key=ssh_private_key, joined=joined
    )
    return joined, registered
