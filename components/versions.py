"""Every version that lands on a node, pinned in one table, with the Kubernetes minors each pinned
release documents support for. Manifests are pinned by tag and by the sha256 of their bytes: a node
refuses to apply one whose bytes changed.

Changing a value here changes what a later `pulumi up` applies: manifests are re-applied in place,
node packages apply to nodes created from then on (components/settings/table.py says so per setting).
"""

from __future__ import annotations

from dataclasses import dataclass

# Kubernetes minors this program offers (pkgs.k8s.io keeps one apt repository per minor). Nodes get
# the newest patch release of the chosen minor at the time they are created.
SUPPORTED_KUBERNETES_MINORS = ("1.34", "1.35", "1.36", "1.37")
DEFAULT_KUBERNETES_MINOR = "1.36"

# containerd.io from Docker's apt repository is held to this major line. Kubernetes after 1.35 needs
# containerd 2.x.
CONTAINERD_LINE = "2"


@dataclass(frozen=True)
class AptKey:
    """The key an apt repository is signed with, pinned by its fingerprint: a node refuses another."""

    repository: str
    url: str
    fingerprint: str  # of the primary key, as `gpg --show-keys` prints it


DOCKER_APT_KEY = AptKey(
    "Docker's apt repository (containerd.io)",
    "https://download.docker.com/linux/ubuntu/gpg",
    "9DC858229FC7DD38854AE2D88D81803C0EBFCD88",
)
# One key signs every minor's repository of pkgs.k8s.io (the isv:kubernetes OBS project); it is
# extended before it expires, so the fingerprint stays.
KUBERNETES_APT_KEY = AptKey(
    "pkgs.k8s.io (kubeadm, kubelet, kubectl)",
    "https://pkgs.k8s.io/core:/stable:/v<minor>/deb/Release.key",
    "DE15B14486CD377B9E876E1A234654DA9A296436",
)


def minor_number(minor: str) -> tuple[int, int]:
    major, _, rest = minor.partition(".")
    return int(major), int(rest)


@dataclass(frozen=True)
class Manifest:
    """A Kubernetes manifest applied from a pinned release."""

    name: str
    version: str
    url: str
    sha256: str  # of the bytes at `url`
    first_minor: str  # the oldest Kubernetes minor the release documents support for
    last_minor: str | None  # the newest; None where the project documents no upper bound
    support_source: str  # where that range is documented

    def supports(self, minor: str) -> bool:
        newest = self.last_minor or SUPPORTED_KUBERNETES_MINORS[-1]
        return minor_number(self.first_minor) <= minor_number(minor) <= minor_number(newest)

    @property
    def support_range(self) -> str:
        return f"{self.first_minor}–{self.last_minor}" if self.last_minor else f"{self.first_minor} and newer"


CALICO = Manifest(
    name="Calico",
    version="v3.32.1",
    url="https://raw.githubusercontent.com/projectcalico/calico/v3.32.1/manifests/calico.yaml",
    sha256="a1df919d9721cf667accdc3e72848911b0cb25cfab7d2478ad0c996302c95744",
    first_minor="1.34",
    last_minor="1.36",
    support_source="https://docs.tigera.io/calico/3.32/getting-started/kubernetes/requirements",
)
FLANNEL = Manifest(
    name="Flannel",
    version="v0.28.9",
    url="https://raw.githubusercontent.com/flannel-io/flannel/v0.28.9/Documentation/kube-flannel.yml",
    sha256="e875824be2f552b45711dbda91af81b17eb961d00025d914d9fef18fad8f09c0",
    # Its manifest has needed no PodSecurityPolicy since Kubernetes 1.25; flanneld itself "should work
    # with any version of Kubernetes" (Documentation/kubernetes.md).
    first_minor="1.25",
    last_minor=None,
    support_source="https://github.com/flannel-io/flannel/blob/v0.28.9/Documentation/kubernetes.md",
)
CNI_MANIFESTS = {"calico": CALICO, "flannel": FLANNEL}


@dataclass(frozen=True)
class ToolImage:
    """A container image the control plane copies tools out of (it never runs as a container)."""

    name: str
    image: str  # pinned by tag
    version: str  # what the tools report, checked before they are used


# etcdctl and etcdutl for snapshots and restores, matching the etcd 3.6 line kubeadm runs for Kubernetes
# 1.34 to 1.37. kubeadm's own etcd image has no etcdutl; the etcd project's image has both.
ETCD_TOOLS = ToolImage(name="etcd tools", image="quay.io/coreos/etcd:v3.6.14", version="3.6.14")

# The AWS CLI on the control plane (for the snapshot bucket), from its publisher's snap channel.
AWS_CLI_SNAP_CHANNEL = "v2/stable"


@dataclass(frozen=True)
class ManifestSet:
    """Kubernetes manifests applied as a kustomization of files pinned by tag and sha256."""

    name: str
    tag: str
    base_url: str  # the files are at base_url + name
    files: dict[str, str]  # name -> sha256


# aws-cloud-controller-manager: one release line per Kubernetes minor, run from the same base manifests
# (identical in the v1.34, v1.35 and v1.36 tags). No release for 1.37 is pinned yet, so a 1.37 cluster
# is refused with awsIntegration.
CLOUD_CONTROLLER_IMAGE = "registry.k8s.io/provider-aws/cloud-controller-manager"
CLOUD_CONTROLLER_RELEASES = {"1.34": "v1.34.3", "1.35": "v1.35.2", "1.36": "v1.36.1"}
CLOUD_CONTROLLER_MANIFESTS = ManifestSet(
    name="aws-cloud-controller-manager",
    tag="v1.36.1",
    base_url="https://raw.githubusercontent.com/kubernetes/cloud-provider-aws/v1.36.1/examples/existing-cluster/base/",
    files={
        "apiserver-authentication-reader-role-binding.yaml": "7b1c43110064ac43717358c85d2308981d6606ccad18d02c1708106a205e56dc",
        "aws-cloud-controller-manager-daemonset.yaml": "c7182ccf876dabee51a5e0f7155c667089a9a664536e4c2a33ac06ea8ce4c65e",
        "cluster-role-binding.yaml": "94257525a59ad9e171bb1ecfdc35e282ae75021425d4c0c719933ba0024a0949",
        "cluster-role.yaml": "5d68da38f2f4e586e88be18dab44a55dcf4d245de670b5b23c80991b13196cdb",
        "service-account.yaml": "bc55f6b9af0c43fb357a7fad7875945b628e5d85dc056a39cb4ac22c4e68ad94",
    },
)

# The AWS EBS CSI driver's base manifests of tag v1.64.0, which run driver image v1.63.1 with its
# sidecars (the tag names the release before it, as each of its tags does).
EBS_CSI_MANIFESTS = ManifestSet(
    name="aws-ebs-csi-driver",
    tag="v1.64.0",
    base_url="https://raw.githubusercontent.com/kubernetes-sigs/aws-ebs-csi-driver/v1.64.0/deploy/kubernetes/base/",
    files={
        "clusterrole-attacher.yaml": "cc797a6977f410150650751421bef2d3ee14da31b18b69d7333f8ab24a543a7b",
        "clusterrole-csi-node.yaml": "85d21ca300c274783fe56dddb79bca80a85e9418318cfd4eedd97e97a078ec1d",
        "clusterrole-provisioner.yaml": "5dbf3b7db5e96f175292c1ae17b46acf2d213060ca6ebe6d6acd54cc998db8d2",
        "clusterrole-resizer.yaml": "935fc2d6ebb30ee7f7d98d62571cd99149ceed0460d24a510a7307765b48adc6",
        "clusterrole-snapshotter.yaml": "6dd5427072a7f45d302acc24c567b48542d8685dc5a374b94de3362feeaf0433",
        "clusterrolebinding-attacher.yaml": "99046c555443bc910376d7bd0aeb0334ec07932fc3fffe2b1c2029fead344d19",
        "clusterrolebinding-csi-node.yaml": "1fe7f0b32896c1b57d87db7f08b438db6e4c932e0068d047bb6c7743f4269346",
        "clusterrolebinding-provisioner.yaml": "65f664cf6417f40c45398bac91a6bdd02b56472dd43f8aa06c128c3e47127ea0",
        "clusterrolebinding-resizer.yaml": "db66c955a3b01a2577fae28449ba9d855e0bf9d044020275e1b6b5f93652c494",
        "clusterrolebinding-snapshotter.yaml": "5b5a7a50004d8fb6a4d62d4157e6ce96706f3e573a76ad16cb25cdbc35a047a2",
        "controller.yaml": "b72f46c22f1a45c5aa1c2c6a7a888d96be83267bd768da6b7b74102812f6b9d6",
        "csidriver.yaml": "cda3a71ee5a2c6f5eccc1786aac99b9c0b406545b257d7959d1c85945f3dcd38",
        "node.yaml": "3ab3cc815384202eb5bf8331d8f1dc8bf7f20b94ff3e32aef59f6e08a0ea78d7",
        "poddisruptionbudget-controller.yaml": "9dc4fbc0d6214954b90ee2e4a82082441ab1c5e6d3de8afb499f21c40fa04944",
        "serviceaccount-csi-controller.yaml": "220692a597e986673ac099f659e7e52b1a98a4642e18322ec2f58a0fd9cbd6c4",
        "serviceaccount-csi-node.yaml": "c7df4a9e08ac7218576ee38fa913ea8b5cbd8b3309aab55232385d42f530a9a0",
        "role-leases.yaml": "671eda0f174b82d53cfe1464f06a06323d559c61cceb4d18e705beabb6a00a0d",
        "rolebinding-leases.yaml": "a1c17a9fc63e46fdc54d5b4c18d0f0eade95e8f7e213322ba9164ef4c0c37f3b",
    },
)
EBS_CSI_DRIVER_VERSION = "v1.63.1"

# The smoke test's pods (busybox: httpd, wget, nslookup), from the Kubernetes project's e2e test images,
# multi-arch, pinned by tag and by the digest of its image index.
SMOKE_TEST_IMAGE = (
    "registry.k8s.io/e2e-test-images/busybox:1.36.1-1"
    "@sha256:a9155b13325b2abef48e71de77bb8ac015412a566829f621d06bfae5c699b1b9"
)
