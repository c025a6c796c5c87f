"""Every version that lands on a node, pinned in exactly one place each.

Changing a value here changes the rendered user data or the bootstrap scripts, so `pulumi preview`
shows which nodes or commands it replaces.
"""

# Kubernetes minors this program supports (pkgs.k8s.io keeps one apt repository per minor). Nodes get
# the newest patch release of the chosen minor at the time they are created.
SUPPORTED_KUBERNETES_MINORS = ("1.34", "1.35", "1.36", "1.37")
DEFAULT_KUBERNETES_MINOR = "1.36"

# containerd.io from Docker's apt repository is held to this major line. Kubernetes after 1.35 needs
# containerd 2.x.
CONTAINERD_LINE = "2"

# CNI manifests, applied from these exact release tags.
CALICO_VERSION = "v3.31.3"
CALICO_MANIFEST_URL = f"https://raw.githubusercontent.com/projectcalico/calico/{CALICO_VERSION}/manifests/calico.yaml"
FLANNEL_VERSION = "v0.27.4"
FLANNEL_MANIFEST_URL = f"https://github.com/flannel-io/flannel/releases/download/{FLANNEL_VERSION}/kube-flannel.yml"
