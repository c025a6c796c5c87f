"""Whether the cluster's machines run: `paused` stops every instance, and turning it off starts them
again. The Elastic IP, the disks and the cluster's state stay while stopped; a kubeadm cluster comes
back on its own (the kubelet and containerd start at boot, addresses inside the VPC do not change)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

RUNNING = "running"
STOPPED = "stopped"


@dataclass(frozen=True)
class ClusterPowerArgs:
    instances: Sequence[tuple[str, aws.ec2.Instance]]  # node name and instance
    paused: bool


class ClusterPower(pulumi.ComponentResource):
    """One power state per instance (aws.ec2transitgateway.InstanceState, AWS's `aws_ec2_instance_state`).

    Attributes:
        states: the power state resources; whatever must run on a running cluster waits for them.
        public_ips: each node's public address as EC2 reports it once its power state holds: a started
            instance has a new one, a stopped one none (""). The instance's own `public_ip` is what the
            last refresh saw, before the start.
    """

    states: list[aws.ec2transitgateway.InstanceState]
    public_ips: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ClusterPowerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:ClusterPower", name, None, opts)
        state = STOPPED if args.paused else RUNNING
        self.states = [
            aws.ec2transitgateway.InstanceState(
                f"{node_name}-power",
                instance_id=instance.id,
                state=state,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for node_name, instance in args.instances
        ]
        self.public_ips = {
            node_name: aws.ec2.get_instance_output(
                instance_id=instance.id, opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[power])
            ).public_ip
            for (node_name, instance), power in zip(args.instances, self.states, strict=True)
        }
        self.register_outputs({"state": state})
