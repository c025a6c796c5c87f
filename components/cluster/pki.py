"""The cluster's certificate authorities, its service-account key and the admin credentials, made by
pulumi-tls.

kubeadm uses the keys it finds in /etc/kubernetes/pki, so generating them here lets the program pin
every join to the CA (the discovery hash), sign an admin client certificate for the kubeconfig output
without copying anything off a node, and give a replaced control plane the same keys: workers, tokens
and aggregated APIs keep trusting it.
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

from components.cluster import hardening

CA_VALIDITY_HOURS = 10 * 365 * 24  # as long as kubeadm's own CA
# A `pulumi up` in the admin certificate's last two days (or last half, for a shorter one) renews it.
ADMIN_EARLY_RENEWAL_HOURS = 48


def admin_user(generation: int) -> str:
    """The admin certificate's user, which the cluster binds to cluster-admin (phases/access.py). A new
    generation is a new user: the certificates of the one before lose their access at once."""
    return f"kubeadm-aws-admin-{generation}"


def discovery_hash(ca_cert_pem: str) -> str:
    """kubeadm's CA pin: sha256 over the CA certificate's DER-encoded SubjectPublicKeyInfo."""
    certificate = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def render_kubeconfig(
    *, cluster_name: str, server: str, ca_cert_pem: str, user_name: str, credentials: dict, namespace: str = ""
) -> str:
    """A kubeconfig of one cluster, one user (`credentials`: client certificate data, or a token) and
    one context, in `namespace` when given."""
    user = f"{user_name}@{cluster_name}"
    context = {"cluster": cluster_name, "user": user, **({"namespace": namespace} if namespace else {})}
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": b64(ca_cert_pem)}}
        ],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": user, "context": context}],
        "current-context": user,
        "preferences": {},
    }
    return yaml.safe_dump(document, sort_keys=False)


@dataclass(frozen=True)
class ClusterPkiArgs:
    cluster_name: str
    admin_certificate_days: int
    admin_generation: int
    secrets_key_generation: int = 1  # the key Secrets are encrypted with; the one before still decrypts


def pki_bundle(files: dict[str, tuple[str, str]]) -> str:
    """The lines "PATH MODE BASE64" a control plane reads on stdin (scripts/lib/pki-bundle.sh)."""
    return "".join(
        f"{path} {mode} {base64.b64encode(text.encode()).decode()}\n" for path, (mode, text) in files.items()
    )


@dataclass(frozen=True)
class ClusterCredentials:
    """The PKI's outputs that the bootstrap uses."""

    ca_cert_pem: pulumi.Output[str]
    discovery_hash: pulumi.Output[str]
    admin_user: str  # the admin certificate's user, bound to cluster-admin by the bootstrap
    admin_cert_pem: pulumi.Output[str]
    admin_private_key_pem: pulumi.Output[str]  # a secret
    # The keys every control plane needs before kubeadm init or join (a secret): the cluster CA, the
    # front-proxy CA, the etcd CA, the service-account key pair and the EncryptionConfiguration of
    # Secrets, as `pki_bundle` lines.
    control_plane_keys: pulumi.Output[str]
    secrets_key_name: str = hardening.encryption_key_name(1)  # the key new writes of Secrets use
    # The EncryptionConfiguration in which that key writes (a secret), for the step that gives it to each
    # control plane once all of them read it.
    encryption_config: pulumi.Output[str] | None = None

    def token_kubeconfig(
        self,
        cluster_name: str,
        server: pulumi.Input[str],
        *,
        user_name: str,
        token: pulumi.Input[str],
        namespace: str,
    ) -> pulumi.Output[str]:
        """A kubeconfig for `server` that authenticates with `token` in `namespace` (a secret)."""
        return pulumi.Output.secret(
            pulumi.Output.all(server, self.ca_cert_pem, token).apply(
                lambda args: render_kubeconfig(
                    cluster_name=cluster_name,
                    server=args[0],
                    ca_cert_pem=args[1],
                    user_name=user_name,
                    credentials={"token": args[2].strip()},
                    namespace=namespace,
                )
            )
        )

    def kubeconfig(self, cluster_name: str, server: pulumi.Input[str]) -> pulumi.Output[str]:
        """An admin kubeconfig for `server` (a secret: it holds the client key)."""
        return pulumi.Output.secret(
            pulumi.Output.all(server, self.ca_cert_pem, self.admin_cert_pem, self.admin_private_key_pem).apply(
                lambda args: render_kubeconfig(
                    cluster_name=cluster_name,
                    server=args[0],
                    ca_cert_pem=args[1],
                    user_name=self.admin_user,
                    credentials={"client-certificate-data": b64(args[2]), "client-key-data": b64(args[3])},
                )
            )
        )


class ClusterPki(pulumi.ComponentResource):
    """The cluster's certificate authorities, its service-account key pair, and an admin client certificate.

    Attributes:
        credentials: the CA certificate, the discovery hash (`sha256:<hex>` of the CA's public key, for
            `kubeadm join`), the admin client certificate (user `admin_user(generation)`, valid for
            admin_certificate_days) with its private key, and the control planes' keys (secrets; kubeadm
            init receives them on stdin).
    """

    credentials: ClusterCredentials

    def __init__(self, name: str, args: ClusterPkiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("kubeadm-aws:index:ClusterPki", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ca_key, ca_cert = self._authority(f"{name}-ca", "kubernetes", args.cluster_name)
        front_proxy_key, front_proxy_cert = self._authority(
            f"{name}-front-proxy-ca", "front-proxy-ca", args.cluster_name
        )
        etcd_key, etcd_cert = self._authority(f"{name}-etcd-ca", "etcd-ca", args.cluster_name)
        # Signs service-account tokens; the same key on every control plane, and on a replaced one.
        service_account_key = tls.PrivateKey(f"{name}-service-account-key", algorithm="RSA", rsa_bits=2048, opts=child)
        # Each generation has its own key, so a new one revokes a leaked key, not only its certificate (a
        # new certificate for the same key would let the old key in again as the new user). Generation 1
        # keeps the name stacks built before have.
        generation = args.admin_generation
        key_name = f"{name}-admin-key" if generation == 1 else f"{name}-admin-key-{generation}"
        admin_key = tls.PrivateKey(key_name, algorithm="RSA", rsa_bits=2048, opts=child)
        user = admin_user(args.admin_generation)
        # No group: only the binding of this one user grants access, so a new generation takes it back.
        admin_request = tls.CertRequest(
            f"{name}-admin", private_key_pem=admin_key.private_key_pem, subject={"common_name": user}, opts=child
        )
        validity_hours = args.admin_certificate_days * 24
        admin_cert = tls.LocallySignedCert(
            f"{name}-admin",
            cert_request_pem=admin_request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=validity_hours,
            early_renewal_hours=min(ADMIN_EARLY_RENEWAL_HOURS, validity_hours // 2),
            allowed_uses=["client_auth", "digital_signature", "key_encipherment"],
            # It signs in as cluster-admin with its key: kept in the state as a secret too.
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["cert_pem"]),
        )
        encryption, encryption_read = self._secrets_encryption(name, args.secrets_key_generation)
        keys = pulumi.Output.all(
            encryption,
            encryption_read,
            ca_cert.cert_pem,
            ca_key.private_key_pem,
            front_proxy_cert.cert_pem,
            front_proxy_key.private_key_pem,
            etcd_cert.cert_pem,
            etcd_key.private_key_pem,
            service_account_key.public_key_pem,
            service_account_key.private_key_pem,
        ).apply(
            lambda pem: pki_bundle(
                {
                    "ca.crt": ("0644", pem[2]),
                    "ca.key": ("0600", pem[3]),
                    "front-proxy-ca.crt": ("0644", pem[4]),
                    "front-proxy-ca.key": ("0600", pem[5]),
                    "etcd/ca.crt": ("0644", pem[6]),
                    "etcd/ca.key": ("0600", pem[7]),
                    "sa.pub": ("0644", pem[8]),
                    "sa.key": ("0600", pem[9]),
                    hardening.ENCRYPTION_CONFIG_NAME: ("0600", pem[0]),
                    **({hardening.ENCRYPTION_READ_CONFIG_NAME: ("0600", pem[1])} if pem[1] else {}),
                }
            )
        )
        self.credentials = ClusterCredentials(
            ca_cert_pem=ca_cert.cert_pem,
            discovery_hash=ca_cert.cert_pem.apply(discovery_hash),
            admin_user=user,
            admin_cert_pem=admin_cert.cert_pem,
            admin_private_key_pem=pulumi.Output.secret(admin_key.private_key_pem),
            control_plane_keys=pulumi.Output.secret(keys),
            secrets_key_name=hardening.encryption_key_name(args.secrets_key_generation),
            encryption_config=pulumi.Output.secret(encryption),
        )
        self.register_outputs(
            {"ca_cert_pem": self.credentials.ca_cert_pem, "discovery_hash": self.credentials.discovery_hash}
        )

    def _secrets_encryption(self, name: str, generation: int) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The EncryptionConfiguration, and during a rotation the one that only reads the new key (empty
        with one generation). In the first the key of `generation` writes and the one before still reads
        until every Secret has been rewritten; in the second the one before writes. A rotation with
        several API servers goes through the second on every control plane before the first on any
        (Kubernetes, "Encrypting Confidential Data at Rest": rotating a decryption key), so that no API
        server writes with a key another cannot read yet. Each generation's key comes from its own random
        key in the stack; raising the generation drops the one before the previous."""
        generations = [generation, generation - 1] if generation > 1 else [generation]
        sources = [
            tls.PrivateKey(f"{name}-secrets-key-{g}", algorithm="ED25519", opts=pulumi.ResourceOptions(parent=self))
            for g in generations
        ]

        def configurations(pems: list[str]) -> list[str]:
            keys = [
                hardening.EncryptionKey(hardening.encryption_key_name(g), hardening.derive_encryption_secret(pem))
                for g, pem in zip(generations, pems, strict=True)
            ]
            reading = hardening.encryption_configuration(keys[::-1]) if len(keys) > 1 else ""
            return [hardening.encryption_configuration(keys), reading]

        both = pulumi.Output.all(*(source.private_key_pem for source in sources)).apply(configurations)
        return both[0], both[1]

    def _authority(self, name: str, common_name: str, cluster_name: str) -> tuple[tls.PrivateKey, tls.SelfSignedCert]:
        """A certificate authority whose key outlives every machine (kubeadm uses it as it finds it)."""
        child = pulumi.ResourceOptions(parent=self)
        key = tls.PrivateKey(f"{name}-key", algorithm="RSA", rsa_bits=2048, opts=child)
        cert = tls.SelfSignedCert(
            name,
            private_key_pem=key.private_key_pem,
            is_ca_certificate=True,
            subject={"common_name": common_name, "organization": cluster_name},
            validity_period_hours=CA_VALIDITY_HOURS,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
            opts=child,
        )
        return key, cert
