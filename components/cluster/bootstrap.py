"""The kubeadm bootstrap chain: remote steps over SSH that turn prepared nodes into a Ready cluster.

    each node: wait for cloud-init
    first control plane: kubeadm init (the stack's keys on stdin) ──> CNI, etcd backups ──> upgrade
                                    ├─> Secrets encrypted, kubelet serving approver, access
                                    ├─> other control planes, one after another: token ──> join ──> registered
                                    └─> per worker: join token ──> join (on the worker) ──> registered
    each node, once registered: its kubelet serves with a certificate of the cluster CA
    first control plane: readiness gate after those (every node Ready, etcd whole) ──> smoke test ──> kubeconfig
    then per other control plane, then per worker, in turn: drain ──> upgrade (on the node) ──> uncordon

The phases (components/cluster/phases/) list the steps; components/cluster/remote_steps.py builds each one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components.aws.load_balancers import ApiLoadBalancers
from components.aws.nodes import NodeInfo
from components.cluster.phases import access, addons, kubelet_serving, readiness, smoke_test, upgrades, workers
from components.cluster.phases import control_plane as control_plane_phase
from components.cluster.phases.backups import BackupSchedule, schedule_etcd_backups
from components.cluster.phases.nodes import wait_for_cloud_init
from components.cluster.pki import ClusterCredentials
from components.cluster.remote_steps import StepRunner
from components.facts import API_SERVER_PORT


@dataclass(frozen=True)
class KubeadmBootstrapArgs:
    cluster_name: str
    kubernetes_minor: str
    cni: str
    pod_cidr: str
    service_cidr: str
    control_plane: NodeInfo  # the first control plane: kubeadm init runs there
    workers: Sequence[NodeInfo]
    credentials: ClusterCredentials
    ssh_private_key: pulumi.Input[str]
    backups: BackupSchedule
    aws_integration: bool = False  # the cloud controller, the EBS CSI driver and a default StorageClass
    pod_security: str = "baseline"  # Pod Security Admission level enforced by default
    smoke_test: bool = False  # prove the cluster works after the readiness gate
    paused: bool = False  # the instances are stopped: nothing waits for a running cluster
    power: Sequence[pulumi.Resource] = ()  # the instances' power states (components/aws/power.py)
    other_control_planes: Sequence[NodeInfo] = ()  # they join the first, one at a time
    load_balancers: ApiLoadBalancers | None = None  # the endpoint, with other control planes
    # What the destroy-time step uses from AWS (the network and its routes, the security groups and
    # their rules, the roles and their policies, the instances, the load balancers): Pulumi deletes them
    # only after that step has run (components given here stand for all their children).
    destroy_needs: Sequence[pulumi.Resource] = ()


class KubeadmBootstrap(pulumi.ComponentResource):
    """kubeadm init, the CNI, the other control planes' joins in turn, a token and a join per worker, and
    a readiness gate.

    Attributes:
        kubeconfig: an admin kubeconfig for `api_server_endpoint` (a secret), resolved once every node is
            Ready and the smoke test (when on) has passed.
        api_server_endpoint: `https://<Elastic IP>:6443`, or with several control planes
            `https://<public load balancer>:6443`.
        node_names: the Kubernetes node names, control planes first.
        ready: the readiness gate command; depend on it to act on a Ready cluster.
        upgraded: the last step of each node's upgrade, after the first control plane's, in the order
            they run (one node at a time); at the target minor they change nothing.
        workload_kubeconfig: a kubeconfig of the ServiceAccount that may manage workloads in
            `workload_namespace` and nothing else (a secret).
    """

    kubeconfig: pulumi.Output[str]
    api_server_endpoint: pulumi.Output[str]
    node_names: list[str]
    ready: remote.Command
    upgraded: list[remote.Command]

    def __init__(self, name: str, args: KubeadmBootstrapArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:KubeadmBootstrap", name, None, opts)
        control_plane = args.control_plane
        run = StepRunner(self, args.ssh_private_key, control_plane=control_plane)
        endpoint, public_host, cert_sans = self._endpoint(args)
        # With load balancers, init talks to the API through them: the first control plane is their
        # target from the start.
        first_target = (
            args.load_balancers.register(control_plane.name, control_plane.private_ip) if args.load_balancers else []
        )

        init = control_plane_phase.kubeadm_init(
            run,
            control_plane,
            cluster_name=args.cluster_name,
            kubernetes_minor=args.kubernetes_minor,
            pod_cidr=args.pod_cidr,
            service_cidr=args.service_cidr,
            credentials=args.credentials,
            backups=args.backups,
            aws_integration=args.aws_integration,
            pod_security=args.pod_security,
            endpoint=endpoint,
            cert_sans=cert_sans,
            after=[wait_for_cloud_init(run, control_plane), *first_target],
            other_control_planes=args.other_control_planes,
        )
        cluster_id = control_plane_phase.cluster_id(init)
        backups = schedule_etcd_backups(run, control_plane, schedule=args.backups, after=init)
        # Before anything joins: a node created at a new minor joins a control plane already there.
        control_plane_ready = upgrades.upgrade_control_plane(
            run, control_plane, target_minor=args.kubernetes_minor, after=[init, backups]
        )
        cni = control_plane_phase.install_cni(run, control_plane, cni=args.cni, pod_cidr=args.pod_cidr, after=init)
        admin_access, workload_access = access.grant_access(
            run, control_plane, admin_user=args.credentials.admin_user, cluster_id=cluster_id, after=[init]
        )
        approver = kubelet_serving.install_approver(
            run, control_plane, service_cidr=args.service_cidr, pod_cidr=args.pod_cidr, after=init
        )
        joined_control_planes = self._join_control_planes(run, args, endpoint, cluster_id, after=[control_plane_ready])
        # Every control plane reads the newest Secrets key before any writes with it, and every one writes
        # with it before the Secrets are rewritten.
        writing = control_plane_phase.give_write_key(
            run,
            [control_plane, *args.other_control_planes],
            key_name=args.credentials.secrets_key_name,
            encryption_config=args.credentials.encryption_config,
            cluster_id=cluster_id,
            after=[init, *(joined for joined, _ in joined_control_planes)],
        )
        secrets_encrypted = control_plane_phase.encrypt_secrets(
            run,
            control_plane,
            key_name=args.credentials.secrets_key_name,
            cluster_id=cluster_id,
            control_planes=[control_plane, *args.other_control_planes],
            after=writing,
        )
        # Each control plane with the step after which it is in the cluster.
        control_planes_done = [
            (control_plane, init),
            *zip(args.other_control_planes, (registered for _, registered in joined_control_planes), strict=True),
        ]
        before_ready = [cni, backups, control_plane_ready, admin_access, workload_access, secrets_encrypted]
        before_ready += [
            kubelet_serving.serving_certificate(run, node, cluster_id=cluster_id, after=[done, approver])
            for node, done in control_planes_done
        ]
        if args.aws_integration:
            before_ready += addons.install_aws_addons(
                run,
                control_plane,
                cluster_name=args.cluster_name,
                kubernetes_minor=args.kubernetes_minor,
                after=[cni, control_plane_ready],
            )
        registered: list[remote.Command] = []
        if args.workers:
            registered = [
                workers.join(
                    run,
                    worker,
                    control_plane=control_plane,
                    credentials=args.credentials,
                    cluster_id=cluster_id,
                    ssh_private_key=args.ssh_private_key,
                    aws_integration=args.aws_integration,
                    endpoint=endpoint,
                    after=control_plane_ready,
                )
                for worker in args.workers
            ]
            before_ready += [
                kubelet_serving.serving_certificate(run, worker, cluster_id=cluster_id, after=[joined, approver])
                for worker, joined in zip(args.workers, registered, strict=True)
            ]
        else:
            before_ready += [
                control_plane_phase.allow_workloads(run, node, cluster_id=cluster_id, after=done)
                for node, done in control_planes_done
            ]
        all_nodes = [control_plane, *args.other_control_planes, *args.workers]
        self.node_names = [node.name for node in all_nodes]
        self.ready = readiness.readiness_gate(
            run,
            control_plane,
            cluster_name=args.cluster_name,
            nodes=all_nodes,
            cluster_id=cluster_id,
            after=before_ready,
        )
        proven = self.ready
        if args.smoke_test:
            proven = smoke_test.smoke_test(
                run,
                control_plane,
                cluster_name=args.cluster_name,
                nodes=all_nodes,
                with_volume=args.aws_integration,
                ready=self.ready,
            )
        # Off the path to Ready (components/cluster/phases/upgrades.py says why): the other control planes first,
        # then the workers, one node at a time.
        self.upgraded = upgrades.upgrade_nodes_in_turn(
            run,
            [*args.other_control_planes, *args.workers],
            control_plane=control_plane,
            target_minor=args.kubernetes_minor,
            joined=[*(done for _, done in control_planes_done[1:]), *registered],
            after=[control_plane_ready, proven],
        )
        if not args.paused:
            readiness.running_again(
                run, control_plane, cluster_name=args.cluster_name, nodes=all_nodes, after=[self.ready, *args.power]
            )
        if args.aws_integration:
            addons.remove_aws_resources_at_destroy(run, control_plane, after=[self.ready, *args.destroy_needs])
        self.api_server_endpoint = pulumi.Output.concat("https://", public_host, f":{API_SERVER_PORT}")
        kubeconfig = args.credentials.kubeconfig(args.cluster_name, self.api_server_endpoint)
        self.kubeconfig = pulumi.Output.all(proven.id, kubeconfig).apply(lambda values: values[1])
        self.workload_kubeconfig = args.credentials.token_kubeconfig(
            args.cluster_name,
            self.api_server_endpoint,
            user_name=access.WORKLOAD_ACCOUNT,
            token=workload_access.stdout,
            namespace=access.WORKLOAD_NAMESPACE,
        )
        self.workload_namespace = access.WORKLOAD_NAMESPACE
        self.register_outputs({"api_server_endpoint": self.api_server_endpoint, "kubeconfig": self.kubeconfig})

    @staticmethod
    def _endpoint(args: KubeadmBootstrapArgs) -> tuple[pulumi.Output[str], pulumi.Output[str], list]:
        """(kubeadm's controlPlaneEndpoint host, the kubeconfig output's host, the API certificate's names).
        One control plane: its Elastic IP's DNS name for the nodes (AWS resolves it to the private address
        inside the VPC) and the Elastic IP for people. Several: the internal load balancer for the nodes,
        the public one for people."""
        first = args.control_plane
        names = [first.public_ip, first.public_dns, first.private_ip]
        if args.load_balancers is None:
            return first.public_dns, first.public_ip, names
        balancers = args.load_balancers
        return balancers.internal_dns, balancers.public_dns, [*names, balancers.internal_dns, balancers.public_dns]

    def _join_control_planes(
        self,
        run: StepRunner,
        args: KubeadmBootstrapArgs,
        endpoint: pulumi.Output[str],
        cluster_id: pulumi.Output[str],
        after: Sequence[pulumi.Resource],
    ) -> list[tuple[remote.Command, remote.Command]]:
        """Each joins after the one before (etcd adds one member at a time) and becomes a target of the
        load balancers once registered."""
        done: list[tuple[remote.Command, remote.Command]] = []
        for node in args.other_control_planes:
            previous = [done[-1][0]] if done else list(after)
            joined, registered = control_plane_phase.join_control_plane(
                run,
                node,
                first=args.control_plane,
                endpoint=endpoint,
                credentials=args.credentials,
                cluster_id=cluster_id,
                ssh_private_key=args.ssh_private_key,
                aws_integration=args.aws_integration,
                pod_security=args.pod_security,
                ready=after,
                after=previous,
            )
            if args.load_balancers:
                args.load_balancers.register(node.name, node.private_ip, after=[registered])
            done.append((joined, registered))
        return done
