"""The fields of each configuration document the program renders, by kind, as the Go types of their APIs
define them (their `json` tags), so that a misspelt or misplaced field fails a test instead of being
ignored or refused by kubeadm on a node. Transcribed from the Kubernetes sources:

- kubeadm.k8s.io/v1beta4: cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go and
  cmd/kubeadm/app/apis/bootstraptoken/v1/types.go
- kubelet.config.k8s.io/v1beta1: staging/src/k8s.io/kubelet/config/v1beta1/types.go (the fields used)
- apiserver.config.k8s.io/v1: staging/src/k8s.io/apiserver/pkg/apis/apiserver/v1/types.go (encryption,
  admission)
- audit.k8s.io/v1: staging/src/k8s.io/apiserver/pkg/apis/audit/v1/types.go
- pod-security.admission.config.k8s.io/v1: staging/src/k8s.io/pod-security-admission/admission/api/v1/types.go

A structure is a dict of field -> structure (or None for a value); a list of structures is [structure].
"""

from __future__ import annotations

TYPE_META = {"apiVersion": None, "kind": None}
ARG = {"name": None, "value": None}
HOST_PATH_MOUNT = {"name": None, "hostPath": None, "mountPath": None, "readOnly": None, "pathType": None}
CONTROL_PLANE_COMPONENT = {"extraArgs": [ARG], "extraVolumes": [HOST_PATH_MOUNT]}
API_ENDPOINT = {"advertiseAddress": None, "bindPort": None}
NODE_REGISTRATION = {
    "name": None,
    "criSocket": None,
    "taints": None,
    "kubeletExtraArgs": [ARG],
    "ignorePreflightErrors": None,
    "imagePullPolicy": None,
    "imagePullSerial": None,
}
BOOTSTRAP_TOKEN = {"token": None, "description": None, "ttl": None, "expires": None, "usages": None, "groups": None}
TIMEOUTS = {
    "controlPlaneComponentHealthCheck": None,
    "kubeletHealthCheck": None,
    "kubernetesAPICall": None,
    "etcdAPICall": None,
    "tlsBootstrap": None,
    "discovery": None,
    "upgradeManifests": None,
}
BOOTSTRAP_TOKEN_DISCOVERY = {
    "token": None,
    "apiServerEndpoint": None,
    "caCertHashes": None,
    "unsafeSkipCAVerification": None,
}

KINDS = {
    ("kubeadm.k8s.io/v1beta4", "InitConfiguration"): {
        **TYPE_META,
        "bootstrapTokens": [BOOTSTRAP_TOKEN],
        "dryRun": None,
        "nodeRegistration": NODE_REGISTRATION,
        "localAPIEndpoint": API_ENDPOINT,
        "certificateKey": None,
        "skipPhases": None,
        "patches": {"directory": None},
        "timeouts": TIMEOUTS,
    },
    ("kubeadm.k8s.io/v1beta4", "ClusterConfiguration"): {
        **TYPE_META,
        "etcd": None,
        "networking": {"serviceSubnet": None, "podSubnet": None, "dnsDomain": None},
        "kubernetesVersion": None,
        "controlPlaneEndpoint": None,
        "apiServer": {**CONTROL_PLANE_COMPONENT, "certSANs": None},
        "controllerManager": CONTROL_PLANE_COMPONENT,
        "scheduler": CONTROL_PLANE_COMPONENT,
        "dns": None,
        "proxy": None,
        "certificatesDir": None,
        "imageRepository": None,
        "featureGates": None,
        "clusterName": None,
        "encryptionAlgorithm": None,
        "certificateValidityPeriod": None,
        "caCertificateValidityPeriod": None,
    },
    ("kubeadm.k8s.io/v1beta4", "JoinConfiguration"): {
        **TYPE_META,
        "dryRun": None,
        "nodeRegistration": NODE_REGISTRATION,
        "caCertPath": None,
        "discovery": {
            "bootstrapToken": BOOTSTRAP_TOKEN_DISCOVERY,
            "file": {"kubeConfigPath": None},
            "tlsBootstrapToken": None,
            "timeout": None,
        },
        "controlPlane": {"localAPIEndpoint": API_ENDPOINT, "certificateKey": None},
        "skipPhases": None,
        "patches": {"directory": None},
        "timeouts": None,
    },
    # Only the fields the program sets; the type has many more.
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"): {
        **TYPE_META,
        "cgroupDriver": None,
        "serverTLSBootstrap": None,
    },
    ("apiserver.config.k8s.io/v1", "EncryptionConfiguration"): {
        **TYPE_META,
        "resources": [
            {
                "resources": None,
                "providers": [
                    {
                        "aesgcm": None,
                        "aescbc": None,
                        "secretbox": {"keys": [{"name": None, "secret": None}]},
                        "identity": {},
                        "kms": None,
                    }
                ],
            }
        ],
    },
    ("apiserver.config.k8s.io/v1", "AdmissionConfiguration"): {
        **TYPE_META,
        "plugins": [{"name": None, "path": None, "configuration": None}],
    },
    ("pod-security.admission.config.k8s.io/v1", "PodSecurityConfiguration"): {
        **TYPE_META,
        "defaults": {
            "enforce": None,
            "enforce-version": None,
            "audit": None,
            "audit-version": None,
            "warn": None,
            "warn-version": None,
        },
        "exemptions": {"usernames": None, "namespaces": None, "runtimeClasses": None},
    },
    ("audit.k8s.io/v1", "Policy"): {
        **TYPE_META,
        "metadata": None,
        "rules": [
            {
                "level": None,
                "users": None,
                "userGroups": None,
                "verbs": None,
                "resources": [{"group": None, "resources": None, "resourceNames": None}],
                "namespaces": None,
                "nonResourceURLs": None,
                "omitStages": None,
                "omitManagedFields": None,
            }
        ],
        "omitStages": None,
        "omitManagedFields": None,
    },
}
LEVELS = ("None", "Metadata", "Request", "RequestResponse")


def _check(value, structure, path: str, problems: list[str]) -> None:
    if structure is None:
        return
    if isinstance(structure, list):
        if not isinstance(value, list):
            problems.append(f"{path} must be a list")
            return
        for i, item in enumerate(value):
            _check(item, structure[0], f"{path}[{i}]", problems)
        return
    if not isinstance(value, dict):
        problems.append(f"{path} must be an object")
        return
    for key, item in value.items():
        if key not in structure:
            problems.append(f"{path}.{key} is not a field")
        else:
            _check(item, structure[key], f"{path}.{key}", problems)


def assert_known_fields(document: dict) -> None:
    """Every field of `document` (and of an embedded PodSecurityConfiguration) is one its API has."""
    kind = (document.get("apiVersion"), document.get("kind"))
    assert kind in KINDS, f"no field table for {kind}"
    problems: list[str] = []
    _check(document, KINDS[kind], kind[1], problems)
    if kind[1] == "AdmissionConfiguration":
        for plugin in document["plugins"]:
            if isinstance(plugin.get("configuration"), dict):
                assert_known_fields(plugin["configuration"])
    if kind[1] == "Policy":
        problems += [
            f"level {r['level']} is not one of {LEVELS}" for r in document["rules"] if r["level"] not in LEVELS
        ]
    assert problems == [], problems
