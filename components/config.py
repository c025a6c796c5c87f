"""Reads and validates every setting of the stack, before any resource is registered.

`load()` is the only entry point. It returns a frozen `ClusterConfig` or raises `ConfigError` listing
every bad value at once, each naming its config key and what is allowed. The defaults live here (the
mock engine does not apply Pulumi.yaml's), and a test keeps Pulumi.yaml's `config:` block equal to them.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import versions

# Canonical publishes Ubuntu's official AMIs under this owner id.
CANONICAL_OWNER_ID = "099720109477"


# Canonical's AMI names for each supported OS; `{arch}` is amd64 or arm64.
NODE_OS_AMI_PATTERNS = {
    "ubuntu-22.04": "ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-{arch}-server-*",
    "ubuntu-24.04": "ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-{arch}-server-*",
}
CNIS = ("calico", "flannel")

# kubeadm's preflight refuses a control plane with fewer CPUs or less memory than this.
KUBEADM_MIN_CONTROL_PLANE_VCPUS = 2
KUBEADM_MIN_CONTROL_PLANE_MEMORY_MIB = 1700

# EC2 reports architectures as x86_64/arm64; Ubuntu's AMI names and packages say amd64/arm64.
UBUNTU_ARCH = {"x86_64": "amd64", "arm64": "arm64"}

MAX_WORKERS = 20
MIN_ROOT_VOLUME_GIB = 8  # the size of Ubuntu's root snapshot
MAX_ROOT_VOLUME_GIB = 16384  # gp3's limit
AWS_RESERVED_ADDRESSES_PER_SUBNET = 5

DEFAULTS: dict[str, object] = {
    "clusterName": "kubeadm-lab",
    "workerCount": 2,
    "controlPlaneInstanceType": "t3.medium",
    "workerInstanceType": "t3.medium",
    "nodeOs": "ubuntu-22.04",
    "kubernetesVersion": versions.DEFAULT_KUBERNETES_MINOR,
    "podCidr": "10.244.0.0/16",
    "serviceCidr": "10.96.0.0/12",
    "vpcCidr": "10.0.0.0/16",
    "existingVpcId": "",
    "existingSubnetId": "",
    "cni": "calico",
    "allowedCidrs": ["0.0.0.0/0"],
    "rootVolumeSize": 20,
}

CLUSTER_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")
INSTANCE_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")


class ConfigError(ValueError):
    """One or more settings are invalid; the message names each key and what it allows."""


@dataclass(frozen=True)
class ClusterConfig:
    cluster_name: str
    worker_count: int
    control_plane_instance_type: str
    worker_instance_type: str
    node_os: str
    kubernetes_version: str
    pod_cidr: str
    service_cidr: str
    vpc_cidr: str | None  # None when an existing VPC is used
    existing_vpc_id: str | None
    existing_subnet_id: str | None
    cni: str
    allowed_cidrs: tuple[str, ...]
    root_volume_size: int
    # Looked up from AWS during validation.
    control_plane_arch: str
    control_plane_vcpus: int
    control_plane_memory_mib: int
    worker_arch: str
    availability_zone: str  # of the subnet; it offers both instance types

    @property
    def uses_existing_network(self) -> bool:
        return self.existing_vpc_id is not None

    @property
    def open_to_world(self) -> bool:
        return any(ipaddress.ip_network(cidr).prefixlen == 0 for cidr in self.allowed_cidrs)

    @property
    def ami_name_pattern(self) -> str:
        return NODE_OS_AMI_PATTERNS[self.node_os]


class _Reader:
    """Reads raw strings from the stack config and collects every problem instead of stopping at one."""

    def __init__(self, config: pulumi.Config):
        self._config = config
        self.errors: list[str] = []

    def fail(self, key: str, value: object, allowed: str) -> None:
        self.errors.append(f"{self._config.full_key(key)} = {value!r} is invalid: {allowed}")

    def raw(self, key: str) -> str:
        value = self._config.get(key)
        return str(DEFAULTS[key]) if value is None else value

    def string(self, key: str, valid: Callable[[str], bool], allowed: str) -> str | None:
        value = self.raw(key).strip()
        if not valid(value):
            self.fail(key, value, allowed)
            return None
        return value

    def choice(self, key: str, choices: tuple[str, ...] | list[str]) -> str | None:
        return self.string(key, lambda v: v in choices, "expected one of " + ", ".join(choices))

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.raw(key).strip()
        allowed = f"expected a whole number from {low} to {high}"
        if not re.fullmatch(r"[+-]?\d+", value) or not low <= int(value) <= high:
            self.fail(key, value, allowed)
            return None
        return int(value)

    def cidr(self, key: str) -> ipaddress.IPv4Network | None:
        value = self.raw(key).strip()
        return self._parse_cidr(key, value, value)

    def cidr_list(self, key: str) -> tuple[ipaddress.IPv4Network, ...] | None:
        value = self._config.get(key)
        items = DEFAULTS[key] if value is None else _json_or_none(value)
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            self.fail(key, value, 'expected a non-empty list of IPv4 CIDRs, e.g. ["203.0.113.7/32"]')
            return None
        parsed = [self._parse_cidr(key, item.strip(), item) for item in items]
        return None if None in parsed else tuple(parsed)  # type: ignore[arg-type]

    def _parse_cidr(self, key: str, text: str, shown: object) -> ipaddress.IPv4Network | None:
        allowed = "expected an IPv4 CIDR with no host bits set, e.g. 10.0.0.0/16"
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError:
            self.fail(key, shown, allowed)
            return None
        if not isinstance(network, ipaddress.IPv4Network):
            self.fail(key, shown, allowed)
            return None
        return network


def _json_or_none(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def load(config: pulumi.Config | None = None) -> ClusterConfig:
    """Reads every setting, validates it (including lookups in AWS) and returns the cluster config."""
    read = _Reader(config or pulumi.Config())
    settings = _read_settings(read)
    # Checks that look things up in AWS run only once the values they look up are well-formed.
    facts = _look_up_in_aws(read, settings) if not read.errors else {}
    if read.errors:
        raise ConfigError("Invalid stack configuration:\n  - " + "\n  - ".join(read.errors))
    return ClusterConfig(**{key: _as_text(value) for key, value in {**settings, **facts}.items()})


def _as_text(value: Any) -> Any:
    """Networks as their CIDR text, as the rest of the program passes them on."""
    if isinstance(value, ipaddress.IPv4Network):
        return str(value)
    if isinstance(value, tuple):
        return tuple(_as_text(item) for item in value)
    return value


def _read_settings(read: _Reader) -> dict[str, Any]:
    """Every setting, parsed and checked on its own and against the others (no AWS)."""
    instance_type_rule = "expected an EC2 instance type such as t3.medium"
    settings: dict[str, Any] = {
        "cluster_name": read.string(
            "clusterName",
            lambda v: bool(CLUSTER_NAME_PATTERN.match(v)),
            "expected 2-32 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen",
        ),
        "worker_count": read.integer("workerCount", 0, MAX_WORKERS),
        "control_plane_instance_type": read.string(
            "controlPlaneInstanceType", lambda v: bool(INSTANCE_TYPE_PATTERN.match(v)), instance_type_rule
        ),
        "worker_instance_type": read.string(
            "workerInstanceType", lambda v: bool(INSTANCE_TYPE_PATTERN.match(v)), instance_type_rule
        ),
        "node_os": read.choice("nodeOs", list(NODE_OS_AMI_PATTERNS)),
        "kubernetes_version": read.choice("kubernetesVersion", versions.SUPPORTED_KUBERNETES_MINORS),
        "cni": read.choice("cni", CNIS),
        "root_volume_size": read.integer("rootVolumeSize", MIN_ROOT_VOLUME_GIB, MAX_ROOT_VOLUME_GIB),
        "allowed_cidrs": read.cidr_list("allowedCidrs"),
    }
    pod_cidr, service_cidr = read.cidr("podCidr"), read.cidr("serviceCidr")
    settings.update(pod_cidr=pod_cidr, service_cidr=service_cidr, **_read_network(read))
    if settings["vpc_cidr"] is not None:
        _check_vpc_size(read, settings["vpc_cidr"], settings["worker_count"])
    if not settings["existing_vpc_id"]:
        _check_no_overlap(read, {"podCidr": pod_cidr, "serviceCidr": service_cidr, "vpcCidr": settings["vpc_cidr"]})
    return settings


def _read_network(read: _Reader) -> dict[str, Any]:
    """A new VPC's range, or the ids of an existing VPC and subnet (both or neither)."""
    existing_vpc_id = read.raw("existingVpcId").strip() or None
    existing_subnet_id = read.raw("existingSubnetId").strip() or None
    if bool(existing_vpc_id) != bool(existing_subnet_id):
        read.fail(
            "existingSubnetId" if existing_vpc_id else "existingVpcId",
            existing_subnet_id or existing_vpc_id or "",
            "existingVpcId and existingSubnetId are set together (to use an existing network) or both left empty",
        )
    return {
        "existing_vpc_id": existing_vpc_id,
        "existing_subnet_id": existing_subnet_id,
        "vpc_cidr": None if existing_vpc_id else read.cidr("vpcCidr"),
    }


def _look_up_in_aws(read: _Reader, settings: dict[str, Any]) -> dict[str, Any]:
    """What AWS says of the instance types and the network, checked against kubeadm and the settings.

    An invoke that fails fails the whole program with the provider's message, so lookups that may find
    nothing use list-style data sources, which answer with an empty list instead.
    """
    instance_types = {
        "controlPlaneInstanceType": settings["control_plane_instance_type"],
        "workerInstanceType": settings["worker_instance_type"],
    }
    zones = _zones_offering(read, instance_types)
    if read.errors:
        return {}
    control_plane_arch, vcpus, memory = _instance_type_facts(
        read, "controlPlaneInstanceType", instance_types["controlPlaneInstanceType"], True
    )
    worker_arch, _, _ = _instance_type_facts(read, "workerInstanceType", instance_types["workerInstanceType"], False)
    facts = {
        "control_plane_arch": control_plane_arch,
        "control_plane_vcpus": vcpus,
        "control_plane_memory_mib": memory,
        "worker_arch": worker_arch,
        "availability_zone": zones[0] if zones else None,
    }
    if settings["existing_vpc_id"] and not read.errors:
        vpc_cidr, facts["availability_zone"] = _existing_network(
            read, settings["existing_vpc_id"], settings["existing_subnet_id"], zones
        )
        if vpc_cidr is not None:
            _check_no_overlap(
                read,
                {"podCidr": settings["pod_cidr"], "serviceCidr": settings["service_cidr"], "existingVpcId": vpc_cidr},
            )
    return facts


def subnet_cidr_of(vpc_cidr: str) -> str:
    """The cluster's public subnet: the VPC's first /24, or the whole VPC when it is smaller."""
    network = ipaddress.ip_network(vpc_cidr)
    return str(next(network.subnets(new_prefix=max(network.prefixlen, 24))))


def _check_vpc_size(read: _Reader, vpc_cidr: ipaddress.IPv4Network, worker_count: int | None) -> None:
    if not 16 <= vpc_cidr.prefixlen <= 28:
        read.fail("vpcCidr", str(vpc_cidr), "expected a prefix length from /16 to /28 (AWS's limits for a VPC)")
        return
    usable = ipaddress.ip_network(subnet_cidr_of(str(vpc_cidr))).num_addresses - AWS_RESERVED_ADDRESSES_PER_SUBNET
    if worker_count is not None and 1 + worker_count > usable:
        read.fail(
            "vpcCidr", str(vpc_cidr), f"its subnet holds {usable} nodes, fewer than the {1 + worker_count} asked for"
        )


def _existing_network(
    read: _Reader, vpc_id: str, subnet_id: str, zones: list[str]
) -> tuple[ipaddress.IPv4Network | None, str | None]:
    if not aws.ec2.get_vpcs(filters=[{"name": "vpc-id", "values": [vpc_id]}]).ids:
        read.fail("existingVpcId", vpc_id, "no VPC with this id exists in this account and region")
        return None, None
    if not aws.ec2.get_subnets(filters=[{"name": "subnet-id", "values": [subnet_id]}]).ids:
        read.fail("existingSubnetId", subnet_id, "no subnet with this id exists in this account and region")
        return None, None
    vpc = aws.ec2.get_vpc(id=vpc_id)
    subnet = aws.ec2.get_subnet(id=subnet_id)
    if not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
        read.fail(
            "existingVpcId",
            vpc_id,
            "it needs DNS support and DNS hostnames enabled: the control plane's endpoint is its Elastic IP's "
            "DNS name, which resolves to the private address inside the VPC",
        )
    if subnet.vpc_id != vpc_id:
        read.fail(
            "existingSubnetId", subnet_id, f"the subnet belongs to {subnet.vpc_id}, not to existingVpcId {vpc_id}"
        )
    if subnet.availability_zone not in zones:
        read.fail(
            "existingSubnetId",
            subnet_id,
            f"its zone {subnet.availability_zone} does not offer both instance types; zones that do: {zones}",
        )
    return ipaddress.ip_network(vpc.cidr_block), subnet.availability_zone


def _zones_offering(read: _Reader, instance_types: dict[str, str]) -> list[str]:
    """The region's availability zones, by name, that offer every one of the instance types."""
    wanted = sorted(set(instance_types.values()))
    offerings = aws.ec2.get_instance_type_offerings(
        location_type="availability-zone", filters=[{"name": "instance-type", "values": wanted}]
    )
    offered: dict[str, set[str]] = {}
    for zone, instance_type in zip(offerings.locations, offerings.instance_types, strict=True):
        offered.setdefault(zone, set()).add(instance_type)
    known = set().union(*offered.values())
    for key, instance_type in instance_types.items():
        if instance_type not in known:
            read.fail(key, instance_type, "no availability zone of this region offers this instance type (a typo?)")
    zones = sorted(zone for zone, types in offered.items() if set(wanted) <= types)
    if not read.errors and not zones:
        read.fail(
            "workerInstanceType",
            instance_types["workerInstanceType"],
            f"no availability zone of this region offers both {wanted}; choose types offered in one zone",
        )
    return zones


def _instance_type_facts(
    read: _Reader, key: str, instance_type: str, control_plane: bool
) -> tuple[str | None, int, int]:
    """(Ubuntu architecture, vCPUs, MiB) of an instance type, as AWS reports them."""
    info = aws.ec2.get_instance_type(instance_type=instance_type)
    if control_plane and (
        info.default_vcpus < KUBEADM_MIN_CONTROL_PLANE_VCPUS or info.memory_size < KUBEADM_MIN_CONTROL_PLANE_MEMORY_MIB
    ):
        read.fail(
            key,
            instance_type,
            f"it has {info.default_vcpus} vCPU and {info.memory_size} MiB; kubeadm needs a control plane with at least "
            f"{KUBEADM_MIN_CONTROL_PLANE_VCPUS} vCPU and {KUBEADM_MIN_CONTROL_PLANE_MEMORY_MIB} MiB (e.g. t3.medium)",
        )
    arches = [UBUNTU_ARCH[a] for a in info.supported_architectures if a in UBUNTU_ARCH]
    if not arches:
        read.fail(key, instance_type, "expected an x86_64 or arm64 instance type (Ubuntu publishes AMIs for these)")
    return (arches[0] if arches else None), info.default_vcpus, info.memory_size


def _check_no_overlap(read: _Reader, networks: dict[str, ipaddress.IPv4Network | None]) -> None:
    named = [(key, net) for key, net in networks.items() if net is not None]
    for i, (key_a, net_a) in enumerate(named):
        for key_b, net_b in named[i + 1 :]:
            if net_a.overlaps(net_b):
                read.fail(
                    key_b, str(net_b), f"it overlaps {key_a} {net_a}; pod, service and VPC ranges must be disjoint"
                )
