"""The cluster's certificate authority and the admin credentials, made by pulumi-tls.

kubeadm uses a CA it finds in /etc/kubernetes/pki, so generating it here lets the program pin every
join to it (the discovery hash) and sign an admin client certificate for the kubeconfig output,
without copying anything off a node.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

CA_VALIDITY_HOURS = 10 * 365 * 24  # as long as kubeadm's own CA
ADMIN_VALIDITY_HOURS = 365 * 24
ADMIN_EARLY_RENEWAL_HOURS = 30 * 24  # a `pulumi up` in the last month renews the admin certificate
# kubeadm binds this group to cluster-admin during init (since Kubernetes 1.29).
ADMIN_GROUP = "kubeadm:cluster-admins"
ADMIN_USER = "kubernetes-admin"


def discovery_hash(ca_cert_pem: str) -> str:
    """kubeadm's CA pin: sha256 over the CA certificate's DER-encoded SubjectPublicKeyInfo."""
    certificate = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def render_kubeconfig(
    *, cluster_name: str, server: str, ca_cert_pem: str, client_cert_pem: str, client_key_pem: str
) -> str:
    def b64(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    user = f"{ADMIN_USER}@{cluster_name}"
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": b64(ca_cert_pem)}}
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": b64(client_cert_pem), "client-key-data": b64(client_key_pem)},
            }
        ],
        "contexts": [{"name": user, "context": {"cluster": cluster_name, "user": user}}],
        "current-context": user,
        "preferences": {},
    }
    return yaml.safe_dump(document, sort_keys=False)


@dataclass(frozen=True)
class ClusterPkiArgs:
    cluster_name: str


@dataclass(frozen=True)
class ClusterCredentials:
    """The PKI's outputs that the bootstrap uses."""

    ca_cert_pem: pulumi.Output[str]
    ca_private_key_pem: pulumi.Output[str]  # a secret
    discovery_hash: pulumi.Output[str]
    admin_cert_pem: pulumi.Output[str]
    admin_private_key_pem: pulumi.Output[str]  # a secret

    def kubeconfig(self, cluster_name: str, server: pulumi.Input[str]) -> pulumi.Output[str]:
        """An admin kubeconfig for `server` (a secret: it holds the client key)."""
        return pulumi.Output.secret(
            pulumi.Output.all(server, self.ca_cert_pem, self.admin_cert_pem, self.admin_private_key_pem).apply(
                lambda args: render_kubeconfig(
                    cluster_name=cluster_name,
                    server=args[0],
                    ca_cert_pem=args[1],
                    client_cert_pem=args[2],
                    client_key_pem=args[3],
                )
            )
        )


class ClusterPki(pulumi.ComponentResource):
    """The cluster CA and an admin client certificate signed by it.

    Attributes:
        credentials: the CA certificate and its private key (a secret; kubeadm init receives it on
            stdin), the discovery hash (`sha256:<hex>` of the CA's public key, for `kubeadm join`), and
            the admin client certificate (group kubeadm:cluster-admins) with its private key (a secret).
    """

    credentials: ClusterCredentials

    def __init__(self, name: str, args: ClusterPkiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:ClusterPki", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm="RSA", rsa_bits=2048, opts=child)
        ca_cert = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=ca_key.private_key_pem,
            is_ca_certificate=True,
            subject={"common_name": "kubernetes", "organization": args.cluster_name},
            validity_period_hours=CA_VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
            opts=child,
        )
        admin_key = tls.PrivateKey(f"{name}-admin-key", algorithm="RSA", rsa_bits=2048, opts=child)
        admin_request = tls.CertRequest(
            f"{name}-admin",
            private_key_pem=admin_key.private_key_pem,
            subject={"common_name": ADMIN_USER, "organization": ADMIN_GROUP},
            opts=child,
        )
        admin_cert = tls.LocallySignedCert(
            f"{name}-admin",
            cert_request_pem=admin_request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=ADMIN_VALIDITY_HOURS,
            early_renewal_hours=ADMIN_EARLY_RENEWAL_HOURS,
            allowed_uses=["client_auth", "digital_signature", "key_encipherment"],
            opts=child,
        )
        self.credentials = ClusterCredentials(
            ca_cert_pem=ca_cert.cert_pem,
            ca_private_key_pem=pulumi.Output.secret(ca_key.private_key_pem),
            discovery_hash=ca_cert.cert_pem.apply(discovery_hash),
            admin_cert_pem=admin_cert.cert_pem,
            admin_private_key_pem=pulumi.Output.secret(admin_key.private_key_pem),
        )
        self.register_outputs(
            {"ca_cert_pem": self.credentials.ca_cert_pem, "discovery_hash": self.credentials.discovery_hash}
        )
