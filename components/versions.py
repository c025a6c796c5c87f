"""Every version that lands on a node, pinned in one table, with the Kubernetes minors each pinned
release documents support for. Manifests are pinned by tag and by the sha256 of their bytes: a node
refuses to apply one whose bytes changed.

Changing a value here changes what a later `pulumi up` applies: manifests are re-applied in place,
node packages apply to nodes created from then on (components/settings.py says so per setting).
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
