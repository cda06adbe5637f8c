"""Delivery over HTTPS to a real TLS receiver on 127.0.0.1, its certificates made here (a throwaway CA): the
receiver's certificate is verified — against RAPPORT_WEBHOOKS_CA_BUNDLE, host name included — before anything is
sent; an untrusted one is a failed attempt with the reason in the delivery log, retried, never sent unverified."""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.utils import timezone

from crm import services as crm_services
from crm.models import DeliveryStatus, WebhookDelivery
from crm.webhooks import services
from tests.crm.webhooks.conftest import Receiver, send_claimed, send_due, start_receiver, stop_receiver

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Pki:
    ca: Path  # the CA bundle Rapport is told to trust
    trusted: tuple[Path, Path]  # (certificate, key) for 127.0.0.1, issued by that CA
    self_signed: tuple[Path, Path]  # for 127.0.0.1, issued by itself
    wrong_host: tuple[Path, Path]  # issued by the CA, for another host only


def _certificate(folder: Path, name: str, *, issuer=None, ca: bool = False, ip: str | None = None, dns: str = ""):
    """A certificate and key written as PEM files; returns (cert path, key path, cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_cert, issuer_key = issuer or (None, key)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        names = [x509.IPAddress(ipaddress.ip_address(ip))] if ip else [x509.DNSName(dns)]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path, cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_path, _ca_key_path, ca_cert, ca_key = _certificate(folder, "test-ca", ca=True)
    trusted = _certificate(folder, "receiver", issuer=(ca_cert, ca_key), ip="127.0.0.1")
    self_signed = _certificate(folder, "self-signed", ip="127.0.0.1")
    wrong_host = _certificate(folder, "elsewhere", issuer=(ca_cert, ca_key), dns="receiver.example.com")
    return Pki(ca_path, trusted[:2], self_signed[:2], wrong_host[:2])


def _tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def https_receiver(request, pki):
    """A TLS receiver presenting the certificate named by the test's parameter (trusted by default)."""
    certificate = getattr(pki, getattr(request, "param", "trusted"))
    box = start_receiver(Receiver(), tls=_tls(certificate))
    yield box
    stop_receiver(box)


def _endpoint(organization, receiver, manager):
    made = services.webhook_endpoint_create(
        organization=organization, url=receiver.url, events=["issue.opened"], actor=manager.user
    )
    receiver.secret = made.secret
    return made


def test_a_delivery_over_https_to_a_trusted_receiver_arrives_signed(
    https_receiver, pki, organization, manager, customer, allow_private, settings
):
    # Given a receiver on https:// whose certificate chains to the CA bundle Rapport is told to trust
    settings.RAPPORT_WEBHOOKS_CA_BUNDLE = str(pki.ca)
    assert https_receiver.url.startswith("https://127.0.0.1:")
    _endpoint(organization, https_receiver, manager)
    # when an issue is opened
    crm_services.issue_open(customer=customer, summary="x")
    # then the event reached it over TLS, its signature verified by the standardwebhooks package
    assert send_claimed() == {"delivered": 1}
    [received] = https_receiver.received
    assert received.verified and received.payload["type"] == "issue.opened"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    ("https_receiver", "bundle", "reason"),
    [
        ("self_signed", "ca", "TLS certificate not trusted: self-signed certificate"),
        ("trusted", "", "TLS certificate not trusted: unable to get local issuer certificate"),
        ("wrong_host", "ca", "TLS certificate not trusted: IP address mismatch"),
    ],
    indirect=["https_receiver"],
    ids=["self-signed", "private-CA-without-the-bundle", "issued-for-another-host"],
)
def test_an_untrusted_certificate_fails_the_attempt_with_its_reason_and_nothing_is_sent(
    https_receiver, bundle, reason, pki, organization, manager, customer, allow_private, settings, fast_retries
):
    # Given a receiver whose certificate does not verify: self-signed, from a CA Rapport was not told to trust
    # (the system's trust store only), or for another host
    settings.RAPPORT_WEBHOOKS_CA_BUNDLE = str(pki.ca) if bundle else ""
    _endpoint(organization, https_receiver, manager)
    crm_services.issue_open(customer=customer, summary="x")
    # when it is sent
    assert send_claimed() == {"retrying": 1}
    # then the receiver got nothing, and the delivery log says why and waits for a retry
    assert https_receiver.received == []
    row = WebhookDelivery.objects.get()
    assert row.error.startswith(reason), row.error
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.PENDING, 1, None)
    assert row.next_attempt_at > timezone.now()
    # and a retry is refused the same way: never sent without verification
    assert send_due(timedelta(seconds=2)) == {"retrying": 1}
    assert https_receiver.received == []


def test_once_the_receiver_has_a_trusted_certificate_the_retry_gets_through(
    pki, organization, manager, customer, allow_private, settings, fast_retries
):
    # Given a receiver with a self-signed certificate, whose first attempt failed
    settings.RAPPORT_WEBHOOKS_CA_BUNDLE = str(pki.ca)
    receiver = start_receiver(Receiver(), tls=_tls(pki.self_signed))
    port = receiver.server.server_address[1]
    _endpoint(organization, receiver, manager)
    crm_services.issue_open(customer=customer, summary="x")
    assert send_claimed() == {"retrying": 1}
    # when its operator installs a certificate from the trusted CA (same address)
    stop_receiver(receiver)
    start_receiver(receiver, port=port, tls=_tls(pki.trusted))
    try:
        # then the retry delivers it, once, under its webhook-id, signed
        assert send_due(timedelta(seconds=2)) == {"delivered": 1}
    finally:
        stop_receiver(receiver)
    [received] = receiver.received
    assert received.verified and received.webhook_id == WebhookDelivery.objects.get().message_id
