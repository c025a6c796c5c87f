"""The checks that involve several settings, run by `components.settings.load` after each setting has
been read on its own; and how every problem is reported: by key, all at once, in `ConfigError`."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from typing import Any

from components import versions

PROJECT = "kubeadm-aws"
CONTROL_PLANE_COUNTS = (1, 3, 5)
# A cluster of several control planes gets a subnet in each of up to this many zones.
MAX_ZONES = 3
SMALLEST_SUBNET_PREFIX = 28  # AWS's smallest subnet
AWS_RESERVED_ADDRESSES_PER_SUBNET = 5
# kube-controller-manager gives each node a /24 of the pod range (its default --node-cidr-mask-size).
NODE_POD_PREFIX = 24


class ConfigError(ValueError):
    """One or more settings are invalid; the message names each key and what it allows."""


class Problems:
    """Collects every bad value, so that the user sees them all at once."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, key: str, value: object, allowed: str) -> None:
        shown = "" if value is None else f" = {value!r}"  # None: the stack does not set it
        self.messages.append(f"{PROJECT}:{key}{shown} is invalid: {allowed}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise ConfigError("Invalid stack configuration:\n  - " + "\n  - ".join(self.messages))


def subnet_cidr_of(vpc_cidr: str) -> str:
    """The cluster's public subnet: the VPC's first /24, or the whole VPC when it is smaller."""
    network = ipaddress.ip_network(vpc_cidr)
    return str(next(network.subnets(new_prefix=max(network.prefixlen, 24))))


def subnet_cidrs_of(vpc_cidr: str, count: int) -> list[str]:
    """The public subnets of a cluster spread over `count` zones: the first stays `subnet_cidr_of` when
    the VPC holds /24s enough; the others follow it."""
    network = ipaddress.ip_network(vpc_cidr)
    if count == 1:
        return [subnet_cidr_of(vpc_cidr)]
    prefix = max(network.prefixlen + math.ceil(math.log2(count)), 24)
    return [str(subnet) for _, subnet in zip(range(count), network.subnets(new_prefix=prefix), strict=False)]


def zone_count(control_plane_count: int) -> int:
    """How many zones (and created subnets) the cluster spreads over, at most."""
    return 1 if control_plane_count == 1 else MAX_ZONES


def check_disjoint(problems: Problems, ranges: dict[str, str | None]) -> None:
    """Pod, service and VPC ranges must not overlap; each overlap is reported on the later key."""
    named = [(key, ipaddress.ip_network(cidr)) for key, cidr in ranges.items() if cidr is not None]
    for i, (key_a, net_a) in enumerate(named):
        for key_b, net_b in named[i + 1 :]:
            if net_a.overlaps(net_b):
                problems.add(
                    key_b, str(net_b), f"it overlaps {key_a} {net_a}; pod, service and VPC ranges must be disjoint"
                )


def _network_ids_together(values: dict[str, Any], problems: Problems) -> None:
    vpc_id, subnet_id, subnet_ids = (
        values["existing_vpc_id"],
        values["existing_subnet_id"],
        values["existing_subnet_ids"],
    )
    if subnet_id and subnet_ids:
        problems.add("existingSubnetIds", list(subnet_ids), "set existingSubnetId or existingSubnetIds, not both")
        return
    subnets = subnet_id or subnet_ids
    if bool(vpc_id) != bool(subnets):
        problems.add(
            "existingSubnetId" if vpc_id else "existingVpcId",
            subnet_id or vpc_id or "",
            "existingVpcId is set together with existingSubnetId or existingSubnetIds (to use an existing network), "
            "or all are left empty",
        )


def _new_vpc_ranges_disjoint(values: dict[str, Any], problems: Problems) -> None:
    if values["existing_vpc_id"] is None:
        check_disjoint(
            problems,
            {"podCidr": values["pod_cidr"], "serviceCidr": values["service_cidr"], "vpcCidr": values["vpc_cidr"]},
        )


def _new_vpc_holds_every_node(values: dict[str, Any], problems: Problems) -> None:
    vpc_cidr, workers, control_planes = values["vpc_cidr"], values["worker_count"], values["control_plane_count"]
    if values["existing_vpc_id"] is not None or vpc_cidr is None or workers is None or control_planes is None:
        return
    zones = zone_count(control_planes)
    subnets = subnet_cidrs_of(vpc_cidr, zones)
    if ipaddress.ip_network(subnets[0]).prefixlen > SMALLEST_SUBNET_PREFIX or len(subnets) < zones:
        problems.add("vpcCidr", vpc_cidr, f"it is too small for a subnet in each of {zones} zones; a /26 or larger is")
        return
    # Nodes are spread over the subnets in turn, so the first holds the most.
    per_subnet = ipaddress.ip_network(subnets[0]).num_addresses - AWS_RESERVED_ADDRESSES_PER_SUBNET
    nodes = control_planes + workers
    if math.ceil(nodes / zones) > per_subnet:
        held = f"its subnet holds {per_subnet}" if zones == 1 else f"its {zones} subnets hold {per_subnet * zones}"
        problems.add("vpcCidr", vpc_cidr, f"{held} nodes, fewer than the {nodes} asked for")


def _pod_range_holds_every_node(values: dict[str, Any], problems: Problems) -> None:
    pod_cidr, workers, control_planes = values["pod_cidr"], values["worker_count"], values["control_plane_count"]
    if pod_cidr is None or workers is None or control_planes is None:
        return
    nodes = control_planes + workers
    ranges = 2 ** (NODE_POD_PREFIX - ipaddress.ip_network(pod_cidr).prefixlen)
    if nodes > ranges:
        needed = NODE_POD_PREFIX - math.ceil(math.log2(nodes))
        problems.add(
            "podCidr",
            pod_cidr,
            f"it holds {ranges} node ranges (a /{NODE_POD_PREFIX} each), fewer than the {nodes} nodes; "
            f"a /{needed} or larger fits them",
        )


def _cloud_controller_for_the_minor(values: dict[str, Any], problems: Problems) -> None:
    minor = values["kubernetes_version"]
    if values["aws_integration"] and minor is not None and minor not in versions.CLOUD_CONTROLLER_RELEASES:
        offered = ", ".join(versions.CLOUD_CONTROLLER_RELEASES)
        problems.add(
            "kubernetesVersion",
            minor,
            f"no aws-cloud-controller-manager release for {minor} is pinned yet (there are for {offered}); "
            "choose one of those, or set awsIntegration false",
        )


def _spot_workers_are_not_paused(values: dict[str, Any], problems: Problems) -> None:
    if values["paused"] and values["worker_spot"]:
        problems.add(
            "paused",
            True,
            "Spot workers cannot be stopped (AWS stops only persistent Spot requests, which outlive their "
            "instance and are not used here); a cluster with Spot workers is destroyed when done, not paused",
        )


def _no_workloads_beside_the_cloud_role(values: dict[str, Any], problems: Problems) -> None:
    """With awsIntegration the control planes' metadata service answers pods (hop limit 2: the cloud
    controller and the EBS CSI controller run there and take the role from it); without workers every
    pod runs there, and would hold the role too."""
    if values["worker_count"] == 0 and values["aws_integration"]:
        problems.add(
            "workerCount",
            0,
            "with awsIntegration (the default) a cluster needs a worker: without one every pod runs on the "
            "control plane, whose metadata service hands pods its IAM role. Set workerCount 1 or more, or "
            "awsIntegration false",
        )


def _rules_within_quota(values: dict[str, Any], problems: Problems) -> None:
    from components.aws import security  # the rules are described there

    cidrs, cni, aws_integration = values["allowed_cidrs"], values["cni"], values["aws_integration"]
    if cidrs is None or cni is None or aws_integration is None:
        return
    rules = security.nodes_inbound_rules(len(cidrs), cni, aws_integration)
    if rules <= security.INBOUND_RULES_QUOTA:
        return
    between = security.nodes_inbound_rules(0, cni, aws_integration=False)
    reserved = security.CLOUD_CONTROLLER_RULES if aws_integration else 0
    most = (security.INBOUND_RULES_QUOTA - between - reserved) // len(security.PUBLIC_PORTS)
    kept = f" and {reserved} kept for the cloud controller's" if reserved else ""
    problems.add(
        "allowedCidrs",
        f"{len(cidrs)} entries",
        f"the nodes' security group would hold {rules} inbound rules ({len(security.PUBLIC_PORTS)} for each entry, "
        f"{between} between the cluster's instances{kept}), over AWS's default quota of "
        f"{security.INBOUND_RULES_QUOTA} inbound rules per security group; give at most {most} entries "
        "(a wider range may cover several)",
    )


CROSS_CHECKS: tuple[Callable[[dict[str, Any], Problems], None], ...] = (
    _network_ids_together,
    _new_vpc_ranges_disjoint,
    _new_vpc_holds_every_node,
    _pod_range_holds_every_node,
    _cloud_controller_for_the_minor,
    _spot_workers_are_not_paused,
    _no_workloads_beside_the_cloud_role,
    _rules_within_quota,
)
