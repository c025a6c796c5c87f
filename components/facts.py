"""Facts the program, the node scripts and the policy pack share, each stated once here.

Only the standard library may be imported: the policy pack imports this module without the program's
dependencies. Scripts receive the node paths as rendered variables (components/cluster/script_rendering.py).
"""

import ipaddress

# --- on the nodes ---------------------------------------------------------------------------------
# The login user of Canonical's Ubuntu images; the bootstrap commands connect as this user.
LOGIN_USER = "ubuntu"
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
ADMIN_KUBECONFIG = "/etc/kubernetes/admin.conf"
KUBELET_KUBECONFIG = "/etc/kubernetes/kubelet.conf"
KUBERNETES_PKI_DIR = "/etc/kubernetes/pki"
API_SERVER_PORT = 6443
SSH_PORT = 22
NODE_PORT_RANGE = (30000, 32767)  # Kubernetes' default --service-node-port-range
KUBELET_PORT = 10250
# Where cloud-init writes the node-preparation scripts, and steps install the control plane's tools.
NODE_PREP_DIR = "/usr/local/lib/kubeadm-aws"
# kubeadm's stacked etcd: its client endpoint on the control plane, and its data.
ETCD_LOCAL_ENDPOINT = "https://127.0.0.1:2379"
ETCD_DATA_DIR = "/var/lib/etcd"
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
ETCD_PORTS = (ETCD_CLIENT_PORT, ETCD_PEER_PORT)

# --- etcd backups ----------------------------------------------------------------------------------
# Snapshots go to s3://<bucket>/<prefix>/snapshots/<time>-<node>.db; the newest is also <prefix>/latest.db.
BACKUP_PREFIX = "etcd"
BACKUP_UNIT = "kubeadm-aws-etcd-backup"  # the systemd service and timer on the control plane
# The systemd service and timer that approve kubelet serving certificates on the control plane.
KUBELET_SERVING_UNIT = "kubeadm-aws-kubelet-serving"

# --- kubeadm ---------------------------------------------------------------------------------------
# kubeadm's preflight refuses a control plane with fewer CPUs or less memory than this.
KUBEADM_MIN_CONTROL_PLANE_VCPUS = 2
KUBEADM_MIN_CONTROL_PLANE_MEMORY_MIB = 1700

# --- roles and tags --------------------------------------------------------------------------------
CONTROL_PLANE = "control-plane"
WORKER = "worker"
ROLES = (CONTROL_PLANE, WORKER)
CLUSTER_TAG = "Cluster"
ROLE_TAG = "Role"
# What AWS reported for the control plane's instance type, written as tags so the policy pack (which
# cannot call AWS) can check kubeadm's minimum.
VCPUS_TAG = "kubeadm-aws/vcpus"
MEMORY_TAG = "kubeadm-aws/memory-mib"
# On an instance built with its SSH host key from the stack (and only there: a later pulumi up never
# adds it to an instance built before), so that the chain knows which nodes it can pin.
HOST_KEY_TAG = "kubeadm-aws/host-key"

# --- images ----------------------------------------------------------------------------------------
# Canonical publishes Ubuntu's official AMIs under this owner id.
CANONICAL_OWNER_ID = "099720109477"
# Canonical's AMI names for each supported OS; `{arch}` is amd64 or arm64.
UBUNTU_AMI_NAME_PATTERNS = {
    "ubuntu-22.04": "ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-{arch}-server-*",
    "ubuntu-24.04": "ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-{arch}-server-*",
}
# EC2 reports architectures as x86_64/arm64; Ubuntu's AMI names and packages say amd64/arm64.
UBUNTU_ARCH = {"x86_64": "amd64", "arm64": "arm64"}

# --- who can reach the nodes ----------------------------------------------------------------------------
# A range wider than a /8 (more than 16 million addresses) is no one's own network: it counts as the world.
WORLD_PREFIX_LENGTH = 8


def open_to_world(cidrs) -> bool:
    """Whether these ranges let the world in: together (0.0.0.0/1 and 128.0.0.0/1 are 0.0.0.0/0) they
    hold a range wider than a /8 (of IPv4, or of IPv6: ::/0)."""
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs if cidr]
    for version in (4, 6):
        merged = ipaddress.collapse_addresses(n for n in networks if n.version == version)
        if any(network.prefixlen < WORLD_PREFIX_LENGTH for network in merged):
            return True
    return False
