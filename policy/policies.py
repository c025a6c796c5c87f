"""The policies of the kubeadm-aws pack, as plain functions the tests call directly.

`__main__.py` holds only the `PolicyPack(...)`, because constructing one starts the policy server.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

# The program's shared facts (kubeadm's minimums, the tags it writes) have one home, beside the pack;
# that module imports only the standard library, so the pack's own virtual environment suffices.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from components import facts  # noqa: E402

INSTANCE = "aws:ec2/instance:Instance"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
IAM_POLICY_DOCUMENTS = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:s3/bucketPolicy:BucketPolicy")
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
ENCRYPTION_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")

# The ports the program opens to allowedCidrs, by the name a violation gives them.
GUARDED_PORTS = {
    (facts.SSH_PORT, facts.SSH_PORT): "SSH",
    (facts.API_SERVER_PORT, facts.API_SERVER_PORT): "the Kubernetes API",
    facts.NODE_PORT_RANGE: "NodePorts",
}
KUBEADM_MIN_VCPUS = facts.KUBEADM_MIN_CONTROL_PLANE_VCPUS
KUBEADM_MIN_MEMORY_MIB = facts.KUBEADM_MIN_CONTROL_PLANE_MEMORY_MIB
# The program tags the control plane with what AWS reported for its instance type.
VCPUS_TAG = facts.VCPUS_TAG
MEMORY_TAG = facts.MEMORY_TAG
# Sizes that are below kubeadm's memory minimum in every EC2 family.
TOO_SMALL_SIZES = ("nano", "micro")


def _tags(props: Mapping[str, Any]) -> Mapping[str, str]:
    return props.get("tags") or {}


def require_imdsv2(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != INSTANCE:
        return
    tokens = (args.props.get("metadataOptions") or {}).get("httpTokens")
    if tokens != "required":
        report_violation(
            f"instance metadata must require IMDSv2 tokens (metadataOptions.httpTokens = required), not {tokens!r}",
            None,
        )


def require_encrypted_root_volume(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != INSTANCE:
        return
    if (args.props.get("rootBlockDevice") or {}).get("encrypted") is not True:
        report_violation("the root volume must be encrypted (rootBlockDevice.encrypted = true)", None)


def _open_to_world(cidrs: Iterable[str | None]) -> bool:
    valid = []
    for cidr in cidrs:
        try:
            valid.append(str(ipaddress.ip_network(cidr, strict=False)))
        except (TypeError, ValueError):
            continue
    return facts.open_to_world(valid)


def _guarded_ports_in(protocol: Any, from_port: Any, to_port: Any) -> list[str]:
    if str(protocol) in ("-1", "all"):
        return list(GUARDED_PORTS.values())
    if str(protocol) not in ("tcp", "6"):
        return []
    low, high = int(from_port or 0), int(to_port if to_port is not None else from_port or 65535)
    return [name for (first, last), name in GUARDED_PORTS.items() if low <= last and first <= high]


def _ingress_rules(args: ResourceValidationArgs) -> list[tuple[Any, Any, Any, list]]:
    """(protocol, from port, to port, CIDRs) of every ingress rule a resource declares."""
    props = args.props
    if args.resource_type == INGRESS_RULE:
        return [
            (
                props.get("ipProtocol"),
                props.get("fromPort"),
                props.get("toPort"),
                [props.get("cidrIpv4"), props.get("cidrIpv6")],
            )
        ]
    if args.resource_type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        cidrs = list(props.get("cidrBlocks") or []) + list(props.get("ipv6CidrBlocks") or [])
        return [(props.get("protocol"), props.get("fromPort"), props.get("toPort"), cidrs)]
    if args.resource_type == SECURITY_GROUP:
        return [
            (
                rule.get("protocol"),
                rule.get("fromPort"),
                rule.get("toPort"),
                list(rule.get("cidrBlocks") or []) + list(rule.get("ipv6CidrBlocks") or []),
            )
            for rule in props.get("ingress") or []
        ]
    return []


def forbid_public_ports_open_to_world(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for protocol, from_port, to_port, cidrs in _ingress_rules(args):
        if _open_to_world(cidrs):
            for name in _guarded_ports_in(protocol, from_port, to_port):
                report_violation(f"{name} is open to the whole internet; restrict allowedCidrs to your addresses", None)


def _size_of(instance_type: str) -> str:
    return instance_type.split(".", 1)[1] if "." in instance_type else ""


def require_kubeadm_control_plane_minimum(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != INSTANCE or _tags(args.props).get(facts.ROLE_TAG) != facts.CONTROL_PLANE:
        return
    instance_type = str(args.props.get("instanceType") or "")
    tags = _tags(args.props)
    if VCPUS_TAG in tags and MEMORY_TAG in tags:
        vcpus, memory = int(tags[VCPUS_TAG]), int(tags[MEMORY_TAG])
        if vcpus < KUBEADM_MIN_VCPUS or memory < KUBEADM_MIN_MEMORY_MIB:
            report_violation(
                f"{instance_type} has {vcpus} vCPU and {memory} MiB; kubeadm needs at least "
                f"{KUBEADM_MIN_VCPUS} vCPU and {KUBEADM_MIN_MEMORY_MIB} MiB on the control plane",
                None,
            )
    elif _size_of(instance_type) in TOO_SMALL_SIZES:
        report_violation(
            f"{instance_type} has less than the {KUBEADM_MIN_MEMORY_MIB} MiB kubeadm needs on the control plane", None
        )


def require_cluster_tag(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == INSTANCE and not _tags(args.props).get(facts.CLUSTER_TAG):
        report_violation("every instance carries a Cluster tag naming its cluster", None)


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def forbid_iam_wildcards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """An Allow of every action, or of every action of a service, or by exclusion (NotAction,
    NotResource), in a policy document the stack writes. Deny statements may be as wide as they like."""
    if args.resource_type not in IAM_POLICY_DOCUMENTS or not isinstance(args.props.get("policy"), str):
        return  # a document known only after `up` is checked by the next preview
    try:
        document = json.loads(args.props["policy"])
    except ValueError:
        report_violation("the policy document is not JSON", None)
        return
    for number, statement in enumerate(_listed(document.get("Statement") or []), start=1):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        name = statement.get("Sid") or f"statement {number}"
        for exclusion in ("NotAction", "NotResource"):
            if exclusion in statement:
                report_violation(f"{name} allows by {exclusion}: everything it does not name", None)
        for action in _listed(statement.get("Action") or []):
            if action == "*" or str(action).endswith(":*"):
                report_violation(f"{name} allows {action}: name the actions", None)


def limit_metadata_hops(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != INSTANCE:
        return
    hops = (args.props.get("metadataOptions") or {}).get("httpPutResponseHopLimit")
    # Numbers reach a policy as floats (a protobuf Struct holds no integers).
    if isinstance(hops, (int, float)) and hops > 1:
        report_violation(
            f"the metadata service answers {int(hops)} hops away: a pod on this node can take the node's IAM role "
            "(a hop limit of 1 keeps pods off it)",
            None,
        )


def require_bucket_encryption_algorithm(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != BUCKET_ENCRYPTION:
        return
    rules = args.props.get("rules") or []
    algorithms = [(rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for rule in rules]
    if not algorithms or any(a not in ENCRYPTION_ALGORITHMS for a in algorithms):
        report_violation(f"a bucket's default encryption must be one of {', '.join(ENCRYPTION_ALGORITHMS)}", None)


def require_every_bucket_encrypted(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every bucket has a default-encryption configuration that names it (it depends on the bucket)."""
    configured = {
        dependency.urn
        for resource in args.resources
        if resource.resource_type == BUCKET_ENCRYPTION
        for dependency in [*resource.dependencies, *resource.property_dependencies.get("bucket", [])]
    }
    for bucket in args.resources:
        if bucket.resource_type in BUCKETS and bucket.urn not in configured:
            report_violation(f"bucket {bucket.name} has no default encryption configuration", bucket.urn)


POLICIES = [
    ResourceValidationPolicy(
        name="instances-require-imdsv2",
        description="EC2 instances require IMDSv2 session tokens.",
        validate=require_imdsv2,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="root-volumes-encrypted",
        description="EC2 instances have encrypted root volumes.",
        validate=require_encrypted_root_volume,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="public-ports-not-open-to-world",
        description="SSH (22), the Kubernetes API (6443) and NodePorts (30000-32767) are not open to 0.0.0.0/0 or "
        "::/0. Advisory unless the pack's config makes it mandatory (strict.json, which the PR preview uses).",
        validate=forbid_public_ports_open_to_world,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="control-plane-meets-kubeadm-minimum",
        description="The control plane has at least 2 vCPU and 1700 MiB, kubeadm's preflight minimum.",
        validate=require_kubeadm_control_plane_minimum,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="instances-tagged-with-cluster",
        description="Every EC2 instance is tagged with the cluster it belongs to.",
        validate=require_cluster_tag,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="iam-policies-name-their-actions",
        description="No IAM policy the stack writes allows every action, every action of a service, or by "
        "NotAction/NotResource.",
        validate=forbid_iam_wildcards,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="instances-metadata-hop-limit-one",
        description="The metadata service answers the node only (hop limit 1), so pods cannot take its IAM "
        "role. Advisory: with awsIntegration the control planes answer at 2 until the add-ons have an "
        "identity of their own.",
        validate=limit_metadata_hops,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    ResourceValidationPolicy(
        name="buckets-encryption-algorithm",
        description="A bucket's default encryption is AES256 or KMS.",
        validate=require_bucket_encryption_algorithm,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="buckets-encrypted",
        description="Every S3 bucket of the stack has a default encryption configuration.",
        validate=require_every_bucket_encrypted,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
