"""The checks that involve several settings, run by `components.settings.load` after each setting has
been read on its own; and how every problem is reported: by key, all at once, in `ConfigError`."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from typing import Any

from components import versions

PROJECT = "kubeadm-aws"
CONTROL_PLANES = 1
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
    vpc_id, subnet_id = values["existing_vpc_id"], values["existing_subnet_id"]
    if bool(vpc_id) != bool(subnet_id):
        problems.add(
            "existingSubnetId" if vpc_id else "existingVpcId",
            subnet_id or vpc_id or "",
            "existingVpcId and existingSubnetId are set together (to use an existing network) or both left empty",
        )


def _new_vpc_ranges_disjoint(values: dict[str, Any], problems: Problems) -> None:
    if values["existing_vpc_id"] is None:
        check_disjoint(
            problems,
            {"podCidr": values["pod_cidr"], "serviceCidr": values["service_cidr"], "vpcCidr": values["vpc_cidr"]},
        )


def _new_vpc_holds_every_node(values: dict[str, Any], problems: Problems) -> None:
    vpc_cidr, workers = values["vpc_cidr"], values["worker_count"]
    if values["existing_vpc_id"] is not None or vpc_cidr is None or workers is None:
        return
    usable = ipaddress.ip_network(subnet_cidr_of(vpc_cidr)).num_addresses - AWS_RESERVED_ADDRESSES_PER_SUBNET
    if CONTROL_PLANES + workers > usable:
        problems.add(
            "vpcCidr", vpc_cidr, f"its subnet holds {usable} nodes, fewer than the {CONTROL_PLANES + workers} asked for"
        )


def _pod_range_holds_every_node(values: dict[str, Any], problems: Problems) -> None:
    pod_cidr, workers = values["pod_cidr"], values["worker_count"]
    if pod_cidr is None or workers is None:
        return
    nodes = CONTROL_PLANES + workers
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


CROSS_CHECKS: tuple[Callable[[dict[str, Any], Problems], None], ...] = (
    _network_ids_together,
    _new_vpc_ranges_disjoint,
    _new_vpc_holds_every_node,
    _pod_range_holds_every_node,
    _cloud_controller_for_the_minor,
    _spot_workers_are_not_paused,
)
