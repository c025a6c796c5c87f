"""kubeadm's configuration files (API kubeadm.k8s.io/v1beta4), rendered from plain values."""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from components.cluster import hardening
from components.facts import API_SERVER_PORT, CRI_SOCKET

KUBEADM_API = "kubeadm.k8s.io/v1beta4"
KUBELET_API = "kubelet.config.k8s.io/v1beta1"
# kubeadm init always makes a bootstrap token; this one says whose it is, and the init script deletes it
# as soon as init is done (workers get tokens of their own). The TTL bounds it should that fail.
INIT_TOKEN_DESCRIPTION = "kubeadm-aws: kubeadm init's token, deleted once init is done"
INIT_TOKEN_TTL = "15m"
LOAD_BALANCER_API_CALL_TIMEOUT = "5m0s"
# A replaced first control plane mints its own token on the node; its JoinConfiguration holds this until
# then (scripts/lib/rejoin-control-plane.sh puts the token in its place).
REJOIN_TOKEN_PLACEHOLDER = "REJOIN-TOKEN"


def _node_registration(node_name: str, node_ip: str, provider_id: str | None) -> dict:
    # The kubelet reports the VPC address, which the other nodes and the CNI use.
    kubelet_args = [{"name": "node-ip", "value": node_ip}]
    if provider_id:
        # The AWS cloud controller initialises the node, and finds its instance by this id, so the
        # node keeps its friendly name.
        kubelet_args += [{"name": "cloud-provider", "value": "external"}, {"name": "provider-id", "value": provider_id}]
    return {"name": node_name, "criSocket": CRI_SOCKET, "kubeletExtraArgs": kubelet_args}


def init_configuration(
    *,
    cluster_name: str,
    node_name: str,
    private_ip: str,
    endpoint_dns: str,
    cert_sans: Sequence[str],
    kubernetes_minor: str,
    pod_cidr: str,
    service_cidr: str,
    provider_id: str | None = None,
    behind_load_balancer: bool = False,
) -> str:
    """InitConfiguration, ClusterConfiguration and KubeletConfiguration for `kubeadm init`, with the API
    server hardened (components/cluster/hardening.py) and kubelets that ask for serving certificates signed by
    the cluster CA; with a
    `provider_id` (aws:///<zone>/<instance id>) the kubelet leaves the node to the AWS cloud controller.

    The control-plane endpoint (`endpoint_dns`) is, with one control plane, the Elastic IP's public DNS
    name: inside the VPC AWS resolves it to the control plane's private address, so nodes reach the API
    server without leaving the VPC; from outside it resolves to the Elastic IP. With several, it is the
    internal load balancer's name. The certificate names `cert_sans` (the addresses and names people and
    nodes use) and the endpoint.

    `kubernetesVersion` is the minor's stable label; the init script pins it to the exact version of
    the kubeadm installed on the node.

    `behind_load_balancer`: kubeadm init reaches its own API server through the load balancer, which
    routes to it only once its health checks pass; kubeadm's API calls wait up to five minutes for that
    instead of one.
    """
    documents = [
        {
            "apiVersion": KUBEADM_API,
            "kind": "InitConfiguration",
            "bootstrapTokens": [
                {
                    "description": INIT_TOKEN_DESCRIPTION,
                    "ttl": INIT_TOKEN_TTL,
                    "usages": ["signing", "authentication"],
                    "groups": ["system:bootstrappers:kubeadm:default-node-token"],
                }
            ],
            "localAPIEndpoint": {"advertiseAddress": private_ip, "bindPort": API_SERVER_PORT},
            "nodeRegistration": _node_registration(node_name, private_ip, provider_id),
            **({"timeouts": {"kubernetesAPICall": LOAD_BALANCER_API_CALL_TIMEOUT}} if behind_load_balancer else {}),
        },
        {
            "apiVersion": KUBEADM_API,
            "kind": "ClusterConfiguration",
            "clusterName": cluster_name,
            "kubernetesVersion": f"stable-{kubernetes_minor}",
            "controlPlaneEndpoint": f"{endpoint_dns}:{API_SERVER_PORT}",
            "apiServer": {
                "certSANs": list(dict.fromkeys([*cert_sans, endpoint_dns])),
                "extraArgs": [{"name": name, "value": value} for name, value in hardening.API_SERVER_ARGS],
                "extraVolumes": [dict(volume) for volume in hardening.API_SERVER_VOLUMES],
            },
            "networking": {"podSubnet": pod_cidr, "serviceSubnet": service_cidr},
        },
        {
            "apiVersion": KUBELET_API,
            "kind": "KubeletConfiguration",
            "cgroupDriver": "systemd",
            # Serving certificates from the cluster CA, requested by CSR (approve-kubelet-serving.sh).
            "serverTLSBootstrap": True,
        },
    ]
    return yaml.safe_dump_all(documents, sort_keys=False)


def join_configuration(
    *,
    node_name: str,
    node_ip: str,
    api_endpoint: str,
    token: str,
    ca_cert_hash: str,
    provider_id: str | None = None,
    control_plane: bool = False,
) -> str:
    """JoinConfiguration for `kubeadm join`, pinned to the cluster CA; `control_plane` adds an API server
    (advertised at the node's private address) and an etcd member. It holds the token: a secret."""
    document: dict = {
        "apiVersion": KUBEADM_API,
        "kind": "JoinConfiguration",
        "discovery": {
            "bootstrapToken": {"apiServerEndpoint": api_endpoint, "token": token, "caCertHashes": [ca_cert_hash]},
        },
        "nodeRegistration": _node_registration(node_name, node_ip, provider_id),
    }
    if control_plane:
        document["controlPlane"] = {"localAPIEndpoint": {"advertiseAddress": node_ip, "bindPort": API_SERVER_PORT}}
    return yaml.safe_dump(document, sort_keys=False)
