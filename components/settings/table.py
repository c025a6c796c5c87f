"""Every setting of the stack, described once.

`SETTINGS` is the single description of each setting: its key, default, the kind of value it holds
(which parses it and says what is allowed), and a line for the reader. Pulumi.yaml's `config:` block
and the README's settings table are generated from this table (`make settings`; a test fails when they
drift), and components/settings/reader.py reads and checks every setting by it.

Adding a setting is one entry here and its use: the reader, `Settings` and the docs follow. The checks
that involve several settings are in components/settings/checks.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from components import facts, versions
from components.cluster import hardening
from components.settings.checks import (
    CONTROL_PLANE_COUNTS,
    NODE_POD_PREFIX,
)
from components.settings.types import (
    Flag,
    IdList,
    Ipv4Cidr,
    Ipv4CidrList,
    OneOf,
    OneOfNumbers,
    OptionalId,
    Text,
    WholeNumber,
)

CNIS = ("calico", "flannel")
MAX_WORKERS = 20
INSTANCE_TYPE = Text(r"[a-z][a-z0-9-]*\.[a-z0-9]+", "an EC2 instance type such as t3.medium")


def snake(key: str) -> str:
    """A camelCase key as a Python name: workerCount -> worker_count."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    value: Any  # a kind from components/settings/types.py
    description: str
    # What a later `pulumi up` does with a change of this setting on a live cluster.
    on_change: str
    # What else is checked, against AWS or the other settings (for the docs; the checks are in
    # components/settings/checks.py and components/aws/lookups.py).
    also: str = ""
    # The stack must set it: its default (empty) is refused, saying how to set it.
    required: bool = False

    @property
    def attr(self) -> str:
        return snake(self.key)

    @property
    def allowed(self) -> str:
        return self.value.allowed + (f"; {self.also}" if self.also else "")


# What a later `pulumi up` does, in the words the README's table uses.
NEW_NODES_ONLY = "new nodes only; running nodes keep theirs (`make replace-node` moves one at a time)"
REFUSED_LIVE = "refused on a live cluster, before anything changes"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "clusterName",
        "kubeadm-lab",
        Text(
            # The etcd snapshot bucket's and the security groups' names start with the cluster's: S3
            # refuses bucket names that start with xn--, sthree- or amzn-s3-demo-, EC2 group names sg-.
            r"(?!xn--|sthree(-|$)|amzn-s3-demo(-|$)|sg(-|$))[a-z][a-z0-9-]{0,30}[a-z0-9]",
            "2-32 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen; "
            "not starting with xn--, sthree or amzn-s3-demo (the etcd snapshot bucket is named after the cluster, "
            "and S3 refuses bucket names that start so) nor sg (EC2 refuses security-group names that start "
            "with sg-)",
        ),
        "Name of the cluster; prefixes every resource name and tag.",
        on_change="a new cluster: every resource is renamed, so all are created anew and the old ones deleted "
        "(use another stack instead)",
    ),
    Setting(
        "workerCount",
        2,
        WholeNumber(0, MAX_WORKERS),
        "Number of worker nodes; 0 makes a single-node cluster whose control plane runs workloads.",
        on_change="adds workers, or drains, deletes and removes the highest-numbered ones",
        also="0 only with awsIntegration false: every pod would run on the control plane, whose IAM role its "
        "metadata service hands to pods for the add-ons",
    ),
    Setting(
        "controlPlaneInstanceType",
        "t3.medium",
        INSTANCE_TYPE,
        "EC2 instance type of the control plane.",
        on_change="in place: the control plane stops and starts with the new type (the API is down for minutes; "
        "etcd is kept)",
        also=f"at least {facts.KUBEADM_MIN_CONTROL_PLANE_VCPUS} vCPU and "
        f"{facts.KUBEADM_MIN_CONTROL_PLANE_MEMORY_MIB} MiB (kubeadm's minimum), looked up in AWS",
    ),
    Setting(
        "workerInstanceType",
        "t3.medium",
        INSTANCE_TYPE,
        "EC2 instance type of the workers.",
        on_change=NEW_NODES_ONLY,
        also="offered in a zone that offers the control plane's type too",
    ),
    Setting(
        "workerSpot",
        False,
        Flag(),
        "Run new workers as one-time Spot instances (the control plane stays on-demand). An interrupted "
        "worker is terminated; the next `make up` replaces it, and it joins again.",
        on_change=NEW_NODES_ONLY,
        also="a workerInstanceType AWS offers as Spot; not with paused (Spot workers cannot be stopped)",
    ),
    Setting(
        "nodeOs",
        "ubuntu-22.04",
        OneOf(tuple(facts.UBUNTU_AMI_NAME_PATTERNS)),
        "Operating system of new nodes, from Canonical's newest AMI for the instance type's architecture.",
        on_change=NEW_NODES_ONLY,
    ),
    Setting(
        "kubernetesVersion",
        versions.DEFAULT_KUBERNETES_MINOR,
        OneOf(versions.SUPPORTED_KUBERNETES_MINORS),
        "Kubernetes minor version; new nodes get its newest patch release.",
        on_change="one minor up: upgraded in place (an etcd snapshot, the control plane, then the workers one at "
        "a time); skipping a minor or going down is refused before anything changes",
    ),
    Setting(
        "podCidr",
        "10.244.0.0/16",
        Ipv4Cidr(longest=NODE_POD_PREFIX),
        "IPv4 range of pod addresses; each node takes a /24 of it.",
        on_change=REFUSED_LIVE,
        also="one /24 for every node; disjoint from serviceCidr and the VPC",
    ),
    Setting(
        "serviceCidr",
        "10.96.0.0/12",
        Ipv4Cidr(12, 28),
        "IPv4 range of Service addresses.",
        on_change=REFUSED_LIVE,
        also="disjoint from podCidr and the VPC",
    ),
    Setting(
        "vpcCidr",
        "10.0.0.0/16",
        Ipv4Cidr(16, 28),
        "IPv4 range of the VPC the stack creates (unused with existingVpcId). The nodes' subnet is its "
        "first /24, or the whole VPC when it is smaller.",
        on_change="a new VPC, and with it every node: a new cluster",
        also="large enough for every node",
    ),
    Setting(
        "existingVpcId",
        "",
        OptionalId("vpc"),
        "An existing VPC to put the nodes in instead of creating one (set together with existingSubnetId).",
        on_change="moves the cluster to that network: every node is replaced, a new cluster",
        also="with DNS support and DNS hostnames on",
    ),
    Setting(
        "existingSubnetId",
        "",
        OptionalId("subnet"),
        "A public subnet of existingVpcId for the nodes.",
        on_change="every node is replaced: a new cluster",
        also="in a zone that offers both instance types",
    ),
    Setting(
        "existingSubnetIds",
        [],
        IdList("subnet"),
        "Public subnets of existingVpcId, instead of existingSubnetId: control planes and workers are spread "
        "over them in turn (subnets in different zones spread them over zones).",
        on_change="new nodes use the new list; running nodes stay where they are",
        also="each in a zone that offers both instance types",
    ),
    Setting(
        "controlPlaneCount",
        1,
        OneOfNumbers(CONTROL_PLANE_COUNTS, "etcd needs a majority of its members: an odd number"),
        "Control planes. More than one puts them in different zones behind two Network Load Balancers (see HA "
        "control plane).",
        on_change="3 to 5 or 5 to 3 in place, one control plane at a time; 1 to more or back is refused on a "
        "live cluster",
    ),
    Setting(
        "cni",
        "calico",
        OneOf(CNIS),
        "Pod network, applied from a pinned manifest.",
        on_change=REFUSED_LIVE + " (the pod network cannot be swapped in place); a new pinned release of the "
        "same CNI is applied in place",
    ),
    Setting(
        "allowedCidrs",
        [],
        Ipv4CidrList(),
        "Who may reach SSH (22), the API server (6443) and NodePorts. Required: unset, `pulumi up` stops and "
        "says how to set it; `make up` sets your address (/32) on its first run. `0.0.0.0/0`, or ranges that "
        "together are wider than a /8, open them to the world, with a warning.",
        on_change="in place: the security group's rules are replaced",
        also="at most 15 entries with awsIntegration, 18 without (AWS's default quota of 60 inbound rules per "
        "security group, 3 rules an entry)",
        required=True,
    ),
    Setting(
        "awsIntegration",
        True,
        Flag(),
        "AWS's cloud controller (Services of type LoadBalancer), the EBS CSI driver (volumes) and an "
        "encrypted gp3 StorageClass marked default, with the IAM roles and tags they need.",
        on_change="refused on a live cluster by the kubeadm init step (its kubelet was started with or without "
        "the cloud controller; a cluster built before this setting existed has false); set it back, and the "
        "roles and tags added meanwhile go again",
        also="a pinned aws-cloud-controller-manager release for kubernetesVersion",
    ),
    Setting(
        "paused",
        False,
        Flag(),
        "Stops every instance, so that only the disks, the Elastic IP and any load balancer cost money; "
        "false starts them again and waits until every node is Ready. Change nothing else in the same run.",
        on_change="in place: the instances stop or start; no bootstrap step runs again",
    ),
    Setting(
        "smokeTest",
        True,
        Flag(),
        "After every node is Ready, prove the cluster works: a pod on every node, cluster DNS, pod to pod "
        "across nodes and, with awsIntegration, a volume that binds and mounts. The `kubeconfig` output "
        "waits for it.",
        on_change="in place: on, it runs at the next `pulumi up`",
    ),
    Setting(
        "adminCertificateDays",
        7,
        WholeNumber(1, 365),
        "Days the `kubeconfig` output's client certificate is valid; any `pulumi up` in its last two days "
        "issues a new one.",
        on_change="in place: a new certificate (`make kubeconfig` again)",
    ),
    Setting(
        "adminGeneration",
        1,
        WholeNumber(1, 1_000_000),
        "Raise it to take back every admin kubeconfig issued so far (a leaked one): a new private key, a "
        "certificate for a new user, and only the new one is bound to cluster-admin.",
        on_change="in place: a new key and certificate; the old ones lose their access at once",
    ),
    Setting(
        "podSecurity",
        "baseline",
        OneOf(hardening.POD_SECURITY_LEVELS),
        "Pod Security Admission level enforced in every namespace that does not set its own (kube-system is "
        "exempt); `restricted` is always audited and warned about.",
        on_change="in place: the API server restarts with it; running pods are not evicted",
    ),
    Setting(
        "secretsKeyGeneration",
        1,
        WholeNumber(1, 1_000_000),
        "Raise it by one to rotate the key Secrets are encrypted with in etcd: a new key encrypts, every Secret "
        "is rewritten with it, the key before still decrypts until the next rotation.",
        on_change="in place: every control plane reads the new key, then writes with it, then every Secret is "
        "rewritten",
    ),
    Setting(
        "etcdBackupIntervalHours",
        6,
        WholeNumber(1, 168),
        "Hours between etcd snapshots, which a systemd timer on the control plane takes and puts in the stack's "
        "S3 bucket.",
        on_change="in place: the timer is rewritten",
    ),
    Setting(
        "etcdBackupRetentionDays",
        7,
        WholeNumber(1, 3650),
        "Days an etcd snapshot is kept in the bucket before it expires (the newest is always kept).",
        on_change="in place: the bucket's expiry rules change",
    ),
    Setting(
        "keepBackupsOnDestroy",
        False,
        Flag(),
        "Whether `pulumi destroy` leaves the snapshot bucket and its snapshots behind.",
        on_change="in place: decides what the next `pulumi destroy` does with the bucket (`make destroy` applies "
        "a value set since the last `up` first)",
    ),
    Setting(
        "rootVolumeSize",
        20,
        WholeNumber(8, 16384),
        "Size in GiB of each node's encrypted gp3 root volume (8 is the Ubuntu image's own size).",
        on_change="in place: each volume grows (its file system at the node's next boot); AWS refuses to shrink one",
    ),
)

BY_KEY = {setting.key: setting for setting in SETTINGS}
