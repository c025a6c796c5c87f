"""What the API server is started with beyond kubeadm's defaults, for the CIS control-plane items
kubeadm leaves open: Secrets encrypted at rest, an audit log, Pod Security Admission enforced
cluster-wide, and kubelet serving certificates verified.

The EncryptionConfiguration holds the keys (a secret): it travels in the control planes' key bundle
(stdin) into the PKI directory, mode 600, which the API server's pod already mounts. The audit policy
and the admission configuration are not secret; the init script writes them to POLICY_DIR.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from components.facts import KUBERNETES_PKI_DIR

POLICY_DIR = "/etc/kubernetes/policies"
AUDIT_POLICY_FILE = f"{POLICY_DIR}/audit-policy.yaml"
ADMISSION_CONFIG_FILE = f"{POLICY_DIR}/admission.yaml"
AUDIT_LOG_DIR = "/var/log/kubernetes/audit"
ENCRYPTION_CONFIG_NAME = "encryption-config.yaml"  # in the PKI directory
# During a rotation: the configuration that reads the newest key but still writes with the one before
# (only in the key bundle; scripts/lib/secrets-encryption.sh installs one of the two).
ENCRYPTION_READ_CONFIG_NAME = "encryption-config-read.yaml"
# On each control plane: the key its API server writes with, once the rotation step has given it that.
SECRETS_WRITE_KEY_FILE = "/etc/kubeadm-aws/secrets-write-key"
ENCRYPTION_CONFIG_FILE = f"{KUBERNETES_PKI_DIR}/{ENCRYPTION_CONFIG_NAME}"

POD_SECURITY_LEVELS = ("privileged", "baseline", "restricted")
# Namespaces whose pods run privileged by design: the pod network, kube-proxy, the cloud controller and
# the CSI node plugin live in kube-system (Flannel's manifest labels its own namespace privileged).
POD_SECURITY_EXEMPT_NAMESPACES = ("kube-system",)

# The audit log rotates at 100 MB, keeps 10 files and 30 days (CIS 1.2.17-1.2.19).
AUDIT_LOG_MAX_AGE_DAYS = 30
AUDIT_LOG_MAX_BACKUPS = 10
AUDIT_LOG_MAX_SIZE_MB = 100


@dataclass(frozen=True)
class EncryptionKey:
    name: str  # as etcd shows it: k8s:enc:secretbox:v1:<name>:
    secret: str  # 32 bytes, base64


def encryption_key_name(generation: int) -> str:
    return f"key-{generation}"


def derive_encryption_secret(private_key_pem: str) -> str:
    """A 32-byte secretbox key (base64) from the random private key the stack keeps for one generation
    (pulumi-tls makes it; the program has no other source of stack-kept randomness)."""
    digest = hashlib.sha256(b"kubeadm-aws secrets encryption\0" + private_key_pem.encode()).digest()
    return base64.b64encode(digest).decode()


def encryption_configuration(keys: Sequence[EncryptionKey]) -> str:
    """Secrets are written with the first key and read with any; `identity` last reads what was stored
    before encryption was on, until the rewrite after it has re-encrypted everything."""
    document = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [
            {
                "resources": ["secrets"],
                "providers": [
                    {"secretbox": {"keys": [{"name": key.name, "secret": key.secret} for key in keys]}},
                    {"identity": {}},
                ],
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def audit_policy() -> str:
    """Who did what, without the noise or the secrets: no bodies of Secrets, ConfigMaps or tokens (they
    would put secrets into the log), request bodies of other writes, metadata of reads."""
    document = {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"]},
            {"level": "None", "users": ["system:kube-proxy"], "verbs": ["watch"]},
            {"level": "None", "resources": [{"group": "", "resources": ["events"]}]},
            {"level": "None", "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}]},
            {
                "level": "Metadata",
                "resources": [
                    {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
                    {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
                    {"group": "certificates.k8s.io", "resources": ["certificatesigningrequests"]},
                ],
            },
            {"level": "Metadata", "verbs": ["get", "list", "watch"]},
            {"level": "Request"},
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


def admission_configuration(pod_security: str) -> str:
    """Pod Security Admission's cluster-wide default: `pod_security` enforced, `restricted` audited and
    warned about. A namespace's own labels still decide for it."""
    document = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    "defaults": {
                        "enforce": pod_security,
                        "enforce-version": "latest",
                        "audit": "restricted",
                        "audit-version": "latest",
                        "warn": "restricted",
                        "warn-version": "latest",
                    },
                    "exemptions": {
                        "usernames": [],
                        "runtimeClasses": [],
                        "namespaces": list(POD_SECURITY_EXEMPT_NAMESPACES),
                    },
                },
            }
        ],
    }
    return yaml.safe_dump(document, sort_keys=False)


# The API server's flags for the above (kubeadm v1beta4 `extraArgs`, a list of name/value pairs).
API_SERVER_ARGS = (
    ("encryption-provider-config", ENCRYPTION_CONFIG_FILE),
    # A rotated key takes effect without restarting the API server.
    ("encryption-provider-config-automatic-reload", "true"),
    ("audit-policy-file", AUDIT_POLICY_FILE),
    ("audit-log-path", f"{AUDIT_LOG_DIR}/audit.log"),
    ("audit-log-maxage", str(AUDIT_LOG_MAX_AGE_DAYS)),
    ("audit-log-maxbackup", str(AUDIT_LOG_MAX_BACKUPS)),
    ("audit-log-maxsize", str(AUDIT_LOG_MAX_SIZE_MB)),
    ("admission-control-config-file", ADMISSION_CONFIG_FILE),
    # The kubelets' serving certificates are signed by the cluster CA (serverTLSBootstrap), so the API
    # server can verify whom it sends exec, logs and port-forward to.
    ("kubelet-certificate-authority", f"{KUBERNETES_PKI_DIR}/ca.crt"),
    # No Service may set externalIPs: one with the control plane's address would take the kubelets' and
    # pods' traffic to it (CVE-2020-8554). NodeRestriction is kubeadm's own default, which this replaces.
    ("enable-admission-plugins", "NodeRestriction,DenyServiceExternalIPs"),
)


def api_server_flags() -> str:
    """The flags above as NAME=VALUE words: a control plane whose API server manifest lacks one, or has
    another value, takes them again (scripts/lib/api-server-policies.sh). No value holds a space."""
    assert all(" " not in value for _, value in API_SERVER_ARGS)
    return " ".join(f"{name}={value}" for name, value in API_SERVER_ARGS)


API_SERVER_VOLUMES = (
    {
        "name": "kubeadm-aws-policies",
        "hostPath": POLICY_DIR,
        "mountPath": POLICY_DIR,
        "readOnly": True,
        "pathType": "DirectoryOrCreate",
    },
    {
        "name": "audit-log",
        "hostPath": AUDIT_LOG_DIR,
        "mountPath": AUDIT_LOG_DIR,
        "readOnly": False,
        "pathType": "DirectoryOrCreate",
    },
)
