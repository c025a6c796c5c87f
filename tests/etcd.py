"""A real etcd (Debian's etcd-server and etcd-client) on loopback with TLS client authentication, as
kubeadm runs it, for the backup and restore scripts. Certificates are made with `cryptography`."""

from __future__ import annotations

import datetime
import ipaddress
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.validators import ETCD_DIR

ETCD_BIN = ETCD_DIR / "usr" / "bin"


def require_etcd() -> Path:
    if not (ETCD_BIN / "etcd").exists():
        pytest.fail(f"etcd is not extracted in {ETCD_DIR}; run `make test` (it fetches Debian's etcd packages)")
    return ETCD_BIN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write(path: Path, key, cert: x509.Certificate) -> None:
    path.with_suffix(".key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_etcd_pki(pki_dir: Path) -> Path:
    """kubeadm's etcd files under pki_dir/etcd: ca, server (127.0.0.1) and healthcheck-client."""
    etcd_dir = pki_dir / "etcd"
    etcd_dir.mkdir(parents=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "etcd-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    _write(etcd_dir / "ca", ca_key, ca)
    for name, usages, san in [
        ("server", [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH], True),
        ("healthcheck-client", [ExtendedKeyUsageOID.CLIENT_AUTH], False),
    ]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
            )
        _write(etcd_dir / name, key, builder.sign(ca_key, hashes.SHA256()))
    return etcd_dir


class Etcd:
    """One etcd member on loopback; clients must present a certificate of the etcd CA."""

    def __init__(self, data_dir: Path, pki_dir: Path, name: str = "cp", peer_port: int | None = None):
        self.bin = require_etcd()
        self.pki = pki_dir / "etcd"
        self.client_port, self.peer_port = free_port(), peer_port or free_port()
        self.endpoint = f"https://127.0.0.1:{self.client_port}"
        self.peer_url = f"http://127.0.0.1:{self.peer_port}"
        log = (data_dir.parent / f"{data_dir.name}.log").open("w")
        self.process = subprocess.Popen(
            [
                str(self.bin / "etcd"),
                f"--name={name}",
                f"--data-dir={data_dir}",
                f"--listen-client-urls={self.endpoint}",
                f"--advertise-client-urls={self.endpoint}",
                f"--listen-peer-urls={self.peer_url}",
                f"--initial-advertise-peer-urls={self.peer_url}",
                f"--initial-cluster={name}={self.peer_url}",
                f"--cert-file={self.pki / 'server.crt'}",
                f"--key-file={self.pki / 'server.key'}",
                f"--trusted-ca-file={self.pki / 'ca.crt'}",
                "--client-cert-auth",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def ctl(self, *args: str) -> str:
        result = subprocess.run(
            [
                str(self.bin / "etcdctl"),
                f"--endpoints={self.endpoint}",
                f"--cacert={self.pki / 'ca.crt'}",
                f"--cert={self.pki / 'healthcheck-client.crt'}",
                f"--key={self.pki / 'healthcheck-client.key'}",
                *args,
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "ETCDCTL_API": "3"},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"etcd exited with {self.process.returncode}")
            try:
                self.ctl("endpoint", "health")
                return
            except AssertionError:
                time.sleep(0.3)
        raise AssertionError("etcd did not become healthy within 30s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def tool_path(*extra: Path) -> str:
    """PATH with the stand-ins first, then Debian's etcd tools, then the system."""
    return ":".join([*(str(p) for p in extra), str(require_etcd()), "/usr/bin", "/bin"])
