"""The EC2 instances: the control planes (the first with a stable Elastic IP) and the workers, spread
over the subnets in turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from components.aws.lookups import InstanceType
from components.aws.tags import cloud_tags, cluster_tags
from components.cluster.cloud_init import HostKey, render_user_data
from components.facts import CANONICAL_OWNER_ID, CONTROL_PLANE, HOST_KEY_TAG, MEMORY_TAG, ROLE_TAG, VCPUS_TAG, WORKER

# IMDSv2 hops: the node itself reaches instance metadata, a pod (one hop further) does not, but for
# the control plane with AWS integration, where the EBS CSI controller's pods get their credentials.
NODE_HOP_LIMIT = 1
ADD_ON_HOP_LIMIT = 2

# A one-time request: an interrupted worker is terminated, and the next `make up` replaces it. (A
# persistent request could stop and resume it, but outlives the instance and would launch new ones
# after the stack has gone.)
SPOT_MARKET = {
    "market_type": "spot",
    "spot_options": {"spot_instance_type": "one-time", "instance_interruption_behavior": "terminate"},
}


@dataclass(frozen=True)
class NodeInfo:
    """What the rest of the program needs to know about one node."""

    name: str  # also the Kubernetes node name
    role: str
    instance: aws.ec2.Instance
    public_ip: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    public_dns: pulumi.Output[str]
    # The SSH host key ("ssh-ed25519 AAAA…") the stack made for the node: the chain pins it on every
    # connection.
    host_key: pulumi.Output[str]

    @property
    def provider_id(self) -> pulumi.Output[str]:
        """The instance as the AWS cloud controller names it: aws:///<zone>/<instance id>."""
        return pulumi.Output.concat("aws:///", self.instance.availability_zone, "/", self.instance.id)


@dataclass(frozen=True)
class ClusterNodesArgs:
    cluster_name: str
    worker_count: int
    control_plane_type: InstanceType
    worker_type: InstanceType
    ami_name_pattern: str  # Canonical's AMI name pattern of the OS, with `{arch}`
    kubernetes_minor: str
    root_volume_size: int  # GiB
    subnet_ids: Sequence[pulumi.Input[str]]  # nodes are spread over them in turn, control planes first
    security_group_id: pulumi.Input[str]  # every node's
    control_plane_security_group_id: pulumi.Input[str]  # the control planes' as well
    key_name: pulumi.Input[str]
    control_plane_instance_profile: pulumi.Input[str]  # its role may write and read the etcd snapshots
    worker_instance_profile: pulumi.Input[str] | None = None  # with AWS integration
    aws_integration: bool = False
    worker_spot: bool = False  # new workers as one-time Spot instances
    control_plane_count: int = 1
    internet: Sequence[pulumi.Resource] = ()  # the gateway and routes the Elastic IP and the instances need
    # Nodes being replaced in this run (make replace-node): they take the program's values of everything.
    replacing: frozenset[str] = frozenset()


class ClusterNodes(pulumi.ComponentResource):
    """The cluster's machines, prepared for kubeadm by cloud-init.

    Attributes:
        control_plane: the first control plane (kubeadm init runs there); its public address is an
            Elastic IP allocated before the instance, so that certificates and the kubeconfig can name it.
        control_planes: every control plane, the first first (`<cluster>-control-plane`,
            `<cluster>-control-plane-2` ...); the others are reached through the first.
        workers: the worker nodes, in order (`<cluster>-worker-1` ...).
    """

    control_plane: NodeInfo
    control_planes: list[NodeInfo]
    workers: list[NodeInfo]

    def __init__(self, name: str, args: ClusterNodesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:ClusterNodes", name, None, opts)
        self._args = args
        self._host_keys: dict[aws.ec2.Instance, tls.PrivateKey] = {}
        self.control_plane = self._control_plane(f"{args.cluster_name}-control-plane")
        self.control_planes = [self.control_plane] + [
            self._another_control_plane(f"{args.cluster_name}-control-plane-{i}", self._subnet(i - 1))
            for i in range(2, args.control_plane_count + 1)
        ]
        self.workers = []
        if args.worker_count:
            worker_ami = self._ubuntu_ami(args.worker_type.arch)
            # Workers start in the subnet after the first control plane's, so the first zones do not
            # carry everything of a small cluster.
            self.workers = [
                self._worker(f"{args.cluster_name}-worker-{i}", worker_ami, self._subnet(i))
                for i in range(1, args.worker_count + 1)
            ]
        self.register_outputs(
            {
                "control_plane_public_ip": self.control_plane.public_ip,
                "worker_private_ips": [w.private_ip for w in self.workers],
            }
        )

    def _subnet(self, index: int) -> pulumi.Input[str]:
        return self._args.subnet_ids[index % len(self._args.subnet_ids)]

    def _control_plane_sizing(self) -> dict[str, str]:
        # What AWS reported for the type, so the policy pack can check kubeadm's minimum.
        size = self._args.control_plane_type
        return {VCPUS_TAG: str(size.vcpus), MEMORY_TAG: str(size.memory_mib)}

    def _control_plane_hop_limit(self) -> int:
        return ADD_ON_HOP_LIMIT if self._args.aws_integration else NODE_HOP_LIMIT

    def _another_control_plane(self, node_name: str, subnet_id: pulumi.Input[str]) -> NodeInfo:
        """A control plane after the first: no Elastic IP (the load balancers are its endpoint), reached
        through the first like a worker."""
        instance = self._instance(
            node_name,
            CONTROL_PLANE,
            self._args.control_plane_type.name,
            self._ubuntu_ami(self._args.control_plane_type.arch),
            subnet_id,
            extra_tags=self._control_plane_sizing(),
            instance_profile=self._args.control_plane_instance_profile,
            hop_limit=self._control_plane_hop_limit(),
            extra_security_groups=[self._args.control_plane_security_group_id],
        )
        return NodeInfo(
            node_name,
            CONTROL_PLANE,
            instance,
            instance.public_ip,
            instance.private_ip,
            instance.public_dns,
            self._pinned(instance),
        )

    def _control_plane(self, node_name: str) -> NodeInfo:
        size = self._args.control_plane_type
        tags = cluster_tags(self._args.cluster_name, node_name, **{ROLE_TAG: CONTROL_PLANE})
        address = aws.ec2.Eip(
            f"{node_name}-eip",
            domain="vpc",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self._args.internet)),
        )
        instance = self._instance(
            node_name,
            CONTROL_PLANE,
            size.name,
            self._ubuntu_ami(size.arch),
            self._subnet(0),
            extra_tags=self._control_plane_sizing(),
            instance_profile=self._args.control_plane_instance_profile,
            hop_limit=self._control_plane_hop_limit(),
            # Changes in place: a control plane built with the nodes' group only gets this one added.
            extra_security_groups=[self._args.control_plane_security_group_id],
        )
        association = aws.ec2.EipAssociation(
            f"{node_name}-eip",
            instance_id=instance.id,
            allocation_id=address.allocation_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Read through the association, so that whoever connects to this address waits until it is attached.
        public_ip = pulumi.Output.all(association.id, address.public_ip).apply(lambda args: args[1])
        public_dns = pulumi.Output.all(association.id, address.public_dns).apply(lambda args: args[1])
        return NodeInfo(
            node_name, CONTROL_PLANE, instance, public_ip, instance.private_ip, public_dns, self._pinned(instance)
        )

    def _worker(self, node_name: str, ami_id: pulumi.Output[str], subnet_id: pulumi.Input[str]) -> NodeInfo:
        # A new worker type or market applies to workers created from now on, as a new image does; the
        # control plane, which cannot be rolled, changes type in place (stop and start) instead.
        instance = self._instance(
            node_name,
            WORKER,
            self._args.worker_type.name,
            ami_id,
            subnet_id,
            keep=["instance_type", "instance_market_options"],
            instance_profile=self._args.worker_instance_profile,
            market=SPOT_MARKET if self._args.worker_spot else None,
        )
        return NodeInfo(
            node_name,
            WORKER,
            instance,
            instance.public_ip,
            instance.private_ip,
            instance.public_dns,
            self._pinned(instance),
        )

    def _ubuntu_ami(self, arch: str) -> pulumi.Output[str]:
        ami = aws.ec2.get_ami_output(
            owners=[CANONICAL_OWNER_ID],
            most_recent=True,
            filters=[
                {"name": "name", "values": [self._args.ami_name_pattern.format(arch=arch)]},
                {"name": "architecture", "values": ["x86_64" if arch == "amd64" else "arm64"]},
                {"name": "virtualization-type", "values": ["hvm"]},
                {"name": "root-device-type", "values": ["ebs"]},
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return ami.id

    def _host_key(self, node_name: str) -> tls.PrivateKey:
        # Named after the node, not the instance: a replaced node keeps its host key.
        return tls.PrivateKey(f"{node_name}-host-key", algorithm="ED25519", opts=pulumi.ResourceOptions(parent=self))

    def _pinned(self, instance: aws.ec2.Instance) -> pulumi.Output[str]:
        """The host key the stack made for the node: every SSH connection checks it. Decided by the stack
        alone, never by a tag (anyone with ec2:CreateTags may change one), so a node that does not serve
        it fails closed: its steps stop at host-key verification until it is replaced."""
        return self._host_keys[instance].public_key_openssh.apply(lambda key: key.strip())

    def _instance(
        self,
        node_name: str,
        role: str,
        instance_type: str,
        ami_id: pulumi.Input[str],
        subnet_id: pulumi.Input[str],
        extra_tags: dict[str, str] | None = None,
        keep: list[str] | None = None,
        instance_profile: pulumi.Input[str] | None = None,
        hop_limit: int = NODE_HOP_LIMIT,
        market: dict | None = None,
        extra_security_groups: list[pulumi.Input[str]] | None = None,
    ) -> aws.ec2.Instance:
        args = self._args
        tags = cluster_tags(args.cluster_name, node_name, **{ROLE_TAG: role}, **(extra_tags or {}))
        tags |= cloud_tags(args.cluster_name, args.aws_integration)
        host_key = self._host_key(node_name)
        user_data = pulumi.Output.secret(
            pulumi.Output.all(host_key.private_key_openssh, host_key.public_key_openssh).apply(
                lambda keys: render_user_data(
                    role,
                    args.kubernetes_minor,
                    args.cluster_name,
                    HostKey(private_openssh=keys[0], public_openssh=keys[1]),
                )
            )
        )
        instance = aws.ec2.Instance(
            node_name,
            ami=ami_id,
            instance_type=instance_type,
            subnet_id=subnet_id,
            vpc_security_group_ids=[args.security_group_id, *(extra_security_groups or [])],
            associate_public_ip_address=True,
            key_name=args.key_name,
            iam_instance_profile=instance_profile,
            instance_market_options=market,
            user_data=user_data,
            user_data_replace_on_change=True,
            metadata_options={
                "http_tokens": "required",
                "http_endpoint": "enabled",
                "http_put_response_hop_limit": hop_limit,
            },
            root_block_device={
                "encrypted": True,
                "volume_type": "gp3",
                "volume_size": args.root_volume_size,
                "delete_on_termination": True,
                "tags": tags,
            },
            # The host-key tag records that the instance was built serving the stack's key; nothing
            # decides from it.
            tags={**tags, HOST_KEY_TAG: "stack"},
            # A node keeps the image and the user data it was built with: a newer Canonical image or an
            # edited preparation script applies to nodes created from now on, and never replaces a node
            # (with it etcd or a worker's pods). The host-key tag, too, is written only when an instance
            # is created, and a node stays in the subnet it was built in when the list of subnets
            # changes. A stopped instance reports no public address, which a refresh records: that
            # must not replace it either. Pulumi creates a replacement with the state's values of these
            # too, so a node that `make replace-node` replaces takes the program's values instead.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.internet),
                ignore_changes=[]
                if node_name in args.replacing
                else [
                    "ami",
                    "user_data",
                    "subnet_id",
                    "associate_public_ip_address",
                    f'tags["{HOST_KEY_TAG}"]',
                    *(keep or []),
                ],
            ),
        )
        self._host_keys[instance] = host_key
        return instance
