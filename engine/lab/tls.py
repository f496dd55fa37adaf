"""TLS material for a lab: a throw-away CA and a server certificate it signs.

Written to ``<lab>/tls/``: ``ca.pem``, ``ca-key.pem``, ``server-cert.pem``,
``server-key.pem`` (keys 0600).  The server certificate names the hosts given
(by default ``localhost`` and ``127.0.0.1``), so ``verify_identity`` can be
shown to pass and, with other names, to fail.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mysqlha lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key) -> None:
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def make_ca(directory: str, name: str = "mysqlha lab CA", days: int = 3650) -> tuple[Path, Path]:
    """A self-signed CA; returns (ca.pem, ca-key.pem)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    (out / "ca.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(out / "ca-key.pem", key)
    return out / "ca.pem", out / "ca-key.pem"


def make_server_cert(directory: str, names: list[str], days: int = 365) -> tuple[Path, Path]:
    """A server certificate signed by the CA in ``directory``; returns (cert, key)."""
    out = Path(directory)
    ca_cert = x509.load_pem_x509_certificate((out / "ca.pem").read_bytes())
    ca_key = serialization.load_pem_private_key((out / "ca-key.pem").read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey), "the lab CA key is an EC key (make_ca)"
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    (out / "server-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(out / "server-key.pem", key)
    return out / "server-cert.pem", out / "server-key.pem"


def make_lab_tls(directory: str, names: list[str]) -> dict[str, str]:
    """CA + server certificate; returns the paths a server's options need."""
    ca, _ca_key = make_ca(directory)
    cert, key = make_server_cert(directory, names)
    return {"ca": str(ca), "cert": str(cert), "key": str(key)}
