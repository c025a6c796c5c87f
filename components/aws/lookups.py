"""What AWS says about the chosen instance types and network, checked against kubeadm and the settings.

`look_up(settings)` runs after the settings are read and before any resource is registered. It raises
`ConfigError` naming the setting a lookup refutes. An invoke that fails fails the whole program with
the provider's own message, so lookups that may find nothing use list-style data sources, which answer
with an empty list instead.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pulumi_aws as aws

from components import facts
from components.settings.checks import CONTROL_PLANE_COUNTS, Problems, check_disjoint, subnet_cidrs_of, zone_count


@dataclass(frozen=True)
class InstanceType:
    """An EC2 instance type as AWS describes it."""

    name: str
    arch: str  # Ubuntu's name for it: amd64 or arm64
    vcpus: int
    memory_mib: int
    spot: bool = False  # AWS offers it as a Spot instance


@dataclass(frozen=True)
class AwsFacts:
    control_plane_type: InstanceType
    worker_type: InstanceType
    availability_zone: str  # of the nodes' (first) subnet; it offers both instance types
    region: str  # the provider's region, where the stack builds
    # The zones of the subnets the nodes are spread over, in order (the first is availability_zone).
    availability_zones: tuple[str, ...] = ()


def look_up(settings: Any) -> AwsFacts:
    problems = Problems()
    wanted = {
        "controlPlaneInstanceType": settings.control_plane_instance_type,
        "workerInstanceType": settings.worker_instance_type,
    }
    zones, offered = _zones_offering(problems, wanted)
    problems.raise_if_any()
    control_plane = _instance_type(problems, "controlPlaneInstanceType", wanted["controlPlaneInstanceType"])
    _check_kubeadm_minimum(problems, control_plane)
    worker = _instance_type(problems, "workerInstanceType", wanted["workerInstanceType"])
    if settings.worker_spot and not worker.spot:
        problems.add(
            "workerSpot",
            True,
            f"AWS does not offer workerInstanceType {worker.name} as a Spot instance; choose another type, "
            "or set workerSpot false",
        )
    _check_images(problems, settings.node_os, {"controlPlaneInstanceType": control_plane, "workerInstanceType": worker})
    _check_control_plane_count_change(problems, settings)
    _check_pausable(problems, settings)
    if settings.existing_vpc_id:
        spread = _check_existing_network(problems, settings, zones) if not problems.messages else [""]
    else:
        spread = _zones_of_created_subnets(problems, settings, wanted, zones, offered)
    problems.raise_if_any()
    region = aws.get_region()
    return AwsFacts(control_plane, worker, spread[0], region.region or region.name, tuple(spread))


def _zones_offering(problems: Problems, instance_types: dict[str, str]) -> tuple[list[str], dict[str, set[str]]]:
    """The region's availability zones, by name, that offer every one of the instance types; and the
    instance types each zone offers. Local and Wavelength Zones, which the offerings list too once opted
    in, are left out: Elastic IPs and Network Load Balancers do not work there."""
    wanted = sorted(set(instance_types.values()))
    offerings = aws.ec2.get_instance_type_offerings(
        location_type="availability-zone", filters=[{"name": "instance-type", "values": wanted}]
    )
    region_zones = set(
        aws.get_availability_zones(
            state="available", filters=[{"name": "zone-type", "values": ["availability-zone"]}]
        ).names
    )
    offered: dict[str, set[str]] = {}
    for zone, instance_type in zip(offerings.locations, offerings.instance_types, strict=True):
        if zone in region_zones:
            offered.setdefault(zone, set()).add(instance_type)
    known = set().union(*offered.values())
    for key, instance_type in instance_types.items():
        if instance_type not in known:
            problems.add(key, instance_type, "no availability zone of this region offers this instance type (a typo?)")
    zones = sorted(zone for zone, types in offered.items() if set(wanted) <= types)
    if not problems.messages and not zones:
        problems.add(
            "workerInstanceType",
            instance_types["workerInstanceType"],
            f"no availability zone of this region offers both {wanted}; choose types offered in one zone",
        )
    return zones, offered


def _zones_of_created_subnets(
    problems: Problems,
    settings: Any,
    instance_types: dict[str, str],
    zones: list[str],
    offered: dict[str, set[str]],
) -> list[str]:
    """The zones of the subnets the stack creates, in order. A subnet that exists keeps its zone whatever
    the instance types (its zone cannot change without replacing it, with the instances in it): a new
    type that zone does not offer is refused. The others take the first zones, by name, that offer both
    types. The cluster's subnets are found by its tags (the cluster name is unique in an account and
    region, as for its instances) and told apart by their address ranges."""
    existing = _existing_subnet_zones(settings.cluster_name)
    candidates = {*zones, *existing.values()}
    cidrs = subnet_cidrs_of(settings.vpc_cidr, min(zone_count(settings.control_plane_count), len(candidates)))
    free = [zone for zone in zones if zone not in existing.values()]
    spread = []
    for cidr in cidrs:
        zone = existing.get(cidr) or (free.pop(0) if free else None)
        if zone is None:
            break
        for key, instance_type in instance_types.items():
            if cidr in existing and instance_type not in offered.get(zone, set()):
                problems.add(
                    key,
                    instance_type,
                    f"{zone}, where the cluster's subnet {cidr} is, does not offer it, and a subnet keeps its zone; "
                    f"types it offers among those asked for: {sorted(offered.get(zone, set())) or 'none'}",
                )
        spread.append(zone)
    return spread or [""]


def _existing_subnet_zones(cluster_name: str) -> dict[str, str]:
    """The address range and zone of each public subnet the stack has created for the cluster."""
    found = aws.ec2.get_subnets(
        filters=[
            {"name": f"tag:{facts.CLUSTER_TAG}", "values": [cluster_name]},
            {"name": "tag:Name", "values": [f"{cluster_name}-public"]},
        ]
    )
    subnets = [aws.ec2.get_subnet(id=subnet_id) for subnet_id in sorted(found.ids)]
    return {subnet.cidr_block: subnet.availability_zone for subnet in subnets}


def _instance_type(problems: Problems, key: str, name: str) -> InstanceType:
    info = aws.ec2.get_instance_type(instance_type=name)
    arches = [facts.UBUNTU_ARCH[a] for a in info.supported_architectures if a in facts.UBUNTU_ARCH]
    if not arches:
        problems.add(key, name, "expected an x86_64 or arm64 instance type (Ubuntu publishes AMIs for these)")
    spot = "spot" in (info.supported_usages_classes or [])
    return InstanceType(name, arches[0] if arches else "", info.default_vcpus, info.memory_size, spot)


def _check_images(problems: Problems, node_os: str, types: dict[str, InstanceType]) -> None:
    """Canonical publishes an image of the OS for each instance type's architecture in this region."""
    for key, instance_type in types.items():
        if not instance_type.arch:
            continue
        pattern = facts.UBUNTU_AMI_NAME_PATTERNS[node_os].format(arch=instance_type.arch)
        found = aws.ec2.get_ami_ids(
            owners=[facts.CANONICAL_OWNER_ID], filters=[{"name": "name", "values": [pattern]}]
        ).ids
        if not found:
            problems.add(
                key,
                instance_type.name,
                f"Canonical publishes no {node_os} image for {instance_type.arch} in this region; choose a type "
                "of another architecture, or another nodeOs",
            )


def _check_kubeadm_minimum(problems: Problems, control_plane: InstanceType) -> None:
    vcpus, memory = facts.KUBEADM_MIN_CONTROL_PLANE_VCPUS, facts.KUBEADM_MIN_CONTROL_PLANE_MEMORY_MIB
    if control_plane.vcpus < vcpus or control_plane.memory_mib < memory:
        problems.add(
            "controlPlaneInstanceType",
            control_plane.name,
            f"it has {control_plane.vcpus} vCPU and {control_plane.memory_mib} MiB; kubeadm needs a control plane "
            f"with at least {vcpus} vCPU and {memory} MiB (e.g. t3.medium)",
        )


def _instances_named(cluster_name: str, names: list[str]) -> int:
    """How many instances of the cluster carry one of `names` (running or stopped)."""
    found = aws.ec2.get_instances(
        filters=[
            {"name": f"tag:{facts.CLUSTER_TAG}", "values": [cluster_name]},
            {"name": "tag:Name", "values": names},
        ],
        instance_state_names=["pending", "running", "stopping", "stopped"],
    )
    return len(found.ids)


def _check_control_plane_count_change(problems: Problems, settings: Any) -> None:
    """kubeadm cannot move a live cluster's endpoint: from one control plane (the Elastic IP's name) to a
    load balancer, or back. 3 to 5 and 5 to 3 keep the load balancer and are fine."""
    first = f"{settings.cluster_name}-control-plane"
    others = [f"{first}-{i}" for i in range(2, max(CONTROL_PLANE_COUNTS) + 1)]
    live_first = _instances_named(settings.cluster_name, [first]) > 0
    live_others = _instances_named(settings.cluster_name, others)
    wanted = settings.control_plane_count
    if live_first and not live_others and wanted > 1:
        problems.add(
            "controlPlaneCount",
            wanted,
            "this cluster runs one control plane, whose endpoint (the Elastic IP's name) is in every certificate "
            "and kubeconfig; kubeadm cannot move it behind a load balancer. Keep 1, or build the highly available "
            "cluster as another stack (an etcd snapshot restores its objects: see etcd backups)",
        )
    elif live_others and wanted == 1:
        problems.add(
            "controlPlaneCount",
            wanted,
            "this cluster runs several control planes behind load balancers, whose name is its endpoint; it "
            "cannot go back to one. Keep 3 or 5",
        )


def _check_pausable(problems: Problems, settings: Any) -> None:
    """AWS cannot stop a one-time Spot instance (StopInstances: "You can't stop the Spot Instance ...
    associated with a one-time Spot Instance request"), so a pause would fail halfway. The cluster's Spot
    instances are found in AWS: workers built while workerSpot was true keep their market after it is
    turned off."""
    if not settings.paused:
        return
    found = aws.ec2.get_instances(
        filters=[
            {"name": f"tag:{facts.CLUSTER_TAG}", "values": [settings.cluster_name]},
            {"name": "instance-lifecycle", "values": ["spot"]},
        ],
        instance_state_names=["pending", "running"],
    )
    if not found.ids:
        return
    names = sorted(
        aws.ec2.get_instance(instance_id=instance_id).tags.get("Name", instance_id) for instance_id in found.ids
    )
    problems.add(
        "paused",
        True,
        f"{', '.join(names)} run as one-time Spot instances, which AWS cannot stop. Set workerSpot false and "
        "give each an on-demand instance first (make replace-node NODE=<name>), or destroy the cluster when done",
    )


def existing_subnet_ids(settings: Any) -> tuple[str, ...]:
    """The existing subnets the nodes go in: existingSubnetIds, or existingSubnetId alone."""
    return settings.existing_subnet_ids or ((settings.existing_subnet_id,) if settings.existing_subnet_id else ())


def _check_existing_network(problems: Problems, settings: Any, zones: list[str]) -> list[str]:
    """Checks the existing VPC and subnets; returns the subnets' zones, in order."""
    vpc_id, subnet_ids = settings.existing_vpc_id, existing_subnet_ids(settings)
    key = "existingSubnetIds" if settings.existing_subnet_ids else "existingSubnetId"
    if not aws.ec2.get_vpcs(filters=[{"name": "vpc-id", "values": [vpc_id]}]).ids:
        problems.add("existingVpcId", vpc_id, "no VPC with this id exists in this account and region")
        return [""]
    found = set(aws.ec2.get_subnets(filters=[{"name": "subnet-id", "values": list(subnet_ids)}]).ids)
    if missing := [subnet_id for subnet_id in subnet_ids if subnet_id not in found]:
        problems.add(key, missing[0], "no subnet with this id exists in this account and region")
        return [""]
    vpc = aws.ec2.get_vpc(id=vpc_id)
    if not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
        problems.add(
            "existingVpcId",
            vpc_id,
            "it needs DNS support and DNS hostnames enabled: the control plane's endpoint is its Elastic IP's "
            "DNS name, which resolves to the private address inside the VPC",
        )
    subnet_zones = []
    for subnet_id in subnet_ids:
        subnet = aws.ec2.get_subnet(id=subnet_id)
        if subnet.vpc_id != vpc_id:
            problems.add(key, subnet_id, f"the subnet belongs to {subnet.vpc_id}, not to existingVpcId {vpc_id}")
        if subnet.availability_zone not in zones:
            problems.add(
                key,
                subnet_id,
                f"its zone {subnet.availability_zone} does not offer both instance types; zones that do: {zones}",
            )
        subnet_zones.append(subnet.availability_zone)
    if settings.control_plane_count > 1 and len(set(subnet_zones)) < len(subnet_zones):
        problems.add(
            key,
            list(subnet_ids),
            f"their zones are {subnet_zones}: the API's load balancers take one subnet per zone, so with "
            f"controlPlaneCount {settings.control_plane_count} each subnet must be in a zone of its own",
        )
    check_disjoint(
        problems,
        {
            "podCidr": settings.pod_cidr,
            "serviceCidr": settings.service_cidr,
            "existingVpcId": str(ipaddress.ip_network(vpc.cidr_block)),
        },
    )
    return subnet_zones
