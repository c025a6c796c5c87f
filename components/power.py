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
    """

    states: list[aws.ec2transitgateway.InstanceState]

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
        self.register_outputs({"state": state})
