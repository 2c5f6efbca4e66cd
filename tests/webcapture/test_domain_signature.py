"""WACZ domain signatures (certificate chain + RFC 3161 timestamp) checked offline against the
configured roots: verified, untrusted chain, time outside the window, tampered; a verdict
about the package, never a reason to refuse it; and no socket opened beyond loopback."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import socket

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from rfc3161_client import decode_timestamp_response

from app.webcapture.inspection import inspect_capture
from app.webcapture.limits import CaptureLimits
from app.webcapture.trust import SignatureRoots, configured_roots
from tests.helpers.tsa import LocalTSA
from tests.security.intake_channels import (  # noqa: F401 (fixtures)
    intake_fixture,
    vault_dir_fixture,
)
from tests.webcapture.captures import wacz_bytes
from tests.webcapture.domain_signing import (
    DOMAIN,
    cross_signed,
    domain_signer,
    make_domain_ca,
    stamp,
)
from tests.webcapture.test_intake import only_check, stored_intact

CA = make_domain_ca()
OTHER_CA = make_domain_ca("Another root")


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    with LocalTSA(tmp_path_factory.mktemp("tsa")) as server:
        yield server


@pytest.fixture(scope="module")
def other_tsa(tmp_path_factory):
    with LocalTSA(tmp_path_factory.mktemp("other-tsa")) as server:
        yield server


def roots_of(tsa, ca=CA) -> SignatureRoots:
    from cryptography import x509

    tsa_root = x509.load_pem_x509_certificate(tsa.ca.read_bytes())
    return SignatureRoots(domain=(ca.root,), timestamp=(tsa_root,))


@pytest.fixture
def no_network(monkeypatch):
    """Every socket connection or name look-up beyond loopback fails, and is counted."""
    attempts: list = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def loopback_only(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if not (str(host).startswith("127.") or host in ("::1", "localhost")):
            attempts.append(address)
            raise OSError("network blocked in this test")
        return connect(sock, address)

    def lookup_loopback(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1", None):
            attempts.append(host)
            raise OSError("name look-up blocked in this test")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    monkeypatch.setattr(socket, "getaddrinfo", lookup_loopback)
    return attempts


def inspect(data: bytes, roots: SignatureRoots | None) -> dict:
    return inspect_capture("application/wacz", io.BytesIO(data), CaptureLimits(), roots=roots)


def signature_of(data: bytes, roots: SignatureRoots | None) -> dict:
    result = inspect(data, roots)
    assert result["verdict"] == "passed"  # the package is intact whatever its signature says
    return result["signature"]


def test_a_domain_signature_and_its_timestamp_are_verified_offline(tsa, no_network):
    data = wacz_bytes(sign=domain_signer(CA, tsa))
    signature = signature_of(data, roots_of(tsa))
    assert no_network == []
    assert (signature["form"], signature["verdict"]) == ("domain", "verified"), signature
    assert signature["domain"] == DOMAIN
    assert signature["certificate"]["subject"] == f"CN={DOMAIN}"
    assert signature["certificate"]["sha256"] == CA.leaf.fingerprint(hashes.SHA256()).hex()
    assert signature["timestamp"]["tsa"] == "CN=Custos test TSA"
    stamped = datetime.datetime.fromisoformat(signature["timestamp"]["time"])
    assert abs(stamped - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=5)


def test_the_no_network_guard_refuses_other_hosts(no_network):
    with pytest.raises(OSError), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))
    assert no_network == [("192.0.2.1", 443)]


def test_a_chain_that_does_not_end_in_a_configured_root_is_untrusted(tsa, other_tsa):
    data = wacz_bytes(sign=domain_signer(CA, tsa))
    cases = {
        "no trusted domain roots are configured": SignatureRoots(),
        "the domain certificate does not chain to a trusted root": roots_of(tsa, OTHER_CA),
        "no trusted timestamp roots are configured": SignatureRoots(domain=(CA.root,)),
        "the timestamp does not verify against a trusted timestamp root": roots_of(other_tsa),
    }
    for reason, roots in cases.items():
        signature = signature_of(data, roots)
        assert signature["verdict"] == "untrusted_chain", (reason, signature)
        assert signature["reason"].startswith(reason), signature["reason"]


def test_a_time_outside_the_window_is_said_so(tsa):
    early = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=20)
    expired = make_domain_ca(valid=(-datetime.timedelta(days=9), -datetime.timedelta(days=2)))
    cases = {
        "the timestamp is more than 10 minutes from the stated creation time": (
            domain_signer(CA, tsa, created=early),
            roots_of(tsa),
        ),
        "the timestamp falls outside the domain certificate's validity": (
            domain_signer(expired, tsa),
            roots_of(tsa, expired),
        ),
    }
    for reason, (sign, roots) in cases.items():
        signature = signature_of(wacz_bytes(sign=sign), roots)
        assert (signature["verdict"], signature["reason"]) == ("time_outside_window", reason)


def test_a_tampered_signature_or_timestamp_is_invalid_and_names_what_fails(tsa, other_tsa):
    other = base64.b64encode(CA.key.sign(b"sha256:other", ec.ECDSA(hashes.SHA256()))).decode()
    cases = {
        "the signature does not verify with the domain certificate": {"signature": other},
        "the signed hash is not datapackage.json's hash": {"hash": "sha256:" + "0" * 64},
        "the timestamp is not over this signature": {
            "timeSignature": base64.b64encode(stamp(tsa, other.encode())).decode()
        },
        f"the domain certificate is not for other.{DOMAIN}": {"domain": f"other.{DOMAIN}"},
        "the timestamp is not signed by the first certificate of timestampCert": {
            "timestampCert": (other_tsa.directory / "tsa.pem").read_text()
        },
        "timeSignature is not an RFC 3161 timestamp response": {"timeSignature": "AAAA"},
        "domainCert is not a PEM certificate chain": {"domainCert": "-----BEGIN CERTIFICATE-"},
    }
    for reason, lie in cases.items():
        signature = signature_of(wacz_bytes(sign=domain_signer(CA, tsa, **lie)), roots_of(tsa))
        assert (signature["verdict"], signature["reason"]) == ("invalid", reason), signature


def test_unreadable_roots_make_the_check_say_it_could_not_check(app, tsa, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "CUSTOS_WACZ_DOMAIN_ROOTS", str(tmp_path / "missing.pem"))
    monkeypatch.setitem(app.config, "CUSTOS_WACZ_TIMESTAMP_ROOTS", str(tsa.ca))
    with app.app_context():
        roots = configured_roots()
    signature = signature_of(wacz_bytes(sign=domain_signer(CA, tsa)), roots)
    assert signature["verdict"] == "could_not_check"
    assert signature["reason"].startswith("CUSTOS_WACZ_DOMAIN_ROOTS missing.pem")


def test_the_item_page_shows_the_domain_and_the_verdict(intake, tsa, monkeypatch, tmp_path):
    (tmp_path / "roots.pem").write_bytes(CA.root_pem)
    monkeypatch.setitem(intake.app.config, "CUSTOS_WACZ_DOMAIN_ROOTS", tmp_path / "roots.pem")
    monkeypatch.setitem(intake.app.config, "CUSTOS_WACZ_TIMESTAMP_ROOTS", tsa.ca)
    wacz = "application/wacz"
    data = wacz_bytes(sign=domain_signer(CA, tsa))
    item = stored_intact(intake, intake.send("web", "d.wacz", data), data, wacz)
    signature = json.loads(only_check(item).result)["signature"]
    assert signature["verdict"] == "verified"
    assert signature["trust"]["domain_roots_sha256"] == hashlib.sha256(CA.root_pem).hexdigest()
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    assert (
        f"Signed for the domain {DOMAIN}" in page
        and "verified against the configured roots" in page
    )
    tampered = wacz_bytes(sign=domain_signer(CA, tsa, signature=signature_b64_of_other()))
    item = stored_intact(
        intake, intake.send("web", "t.wacz", tampered), tampered, "application/wacz"
    )
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    assert "The signature does not hold: the signature does not verify with the domain" in page


def signature_b64_of_other() -> str:
    return base64.b64encode(CA.key.sign(b"other", ec.ECDSA(hashes.SHA256()))).decode()


def _roots(tsa, *domain_roots) -> SignatureRoots:
    from cryptography import x509

    tsa_root = x509.load_pem_x509_certificate(tsa.ca.read_bytes())
    return SignatureRoots(domain=domain_roots, timestamp=(tsa_root,))


def test_a_cross_signed_certificate_is_the_trust_path_when_the_domain_chain_is_not(tsa):
    """The specification's step 9: the cross-signed certificate for the same key is checked
    against the roots, and stands in for a domain certificate whose chain is not trusted."""
    cross_root, cross_pem = cross_signed(CA)
    data = wacz_bytes(sign=domain_signer(CA, tsa, crossSignedCert=cross_pem))
    both = signature_of(data, _roots(tsa, CA.root, cross_root))
    assert (both["verdict"], both["cross_signed"]["chain"]) == ("verified", "trusted"), both
    assert both["cross_signed"]["certificate"]["issuer"] == "CN=Custos test cross-signing root"
    assert "trust_path" not in both
    only_cross = signature_of(data, _roots(tsa, cross_root))
    assert (only_cross["verdict"], only_cross["trust_path"]) == ("verified", "crossSignedCert")
    only_domain = signature_of(data, _roots(tsa, CA.root))
    assert only_domain["verdict"] == "verified" and "trust_path" not in only_domain
    assert only_domain["cross_signed"]["chain"].startswith(
        "the cross-signed certificate does not chain to a trusted root"
    )
    neither = signature_of(data, _roots(tsa, OTHER_CA.root))
    assert neither["verdict"] == "untrusted_chain"
    assert neither["reason"].startswith("the domain certificate does not chain")
    assert "crossSignedCert: the cross-signed certificate does not chain" in neither["reason"]


def test_a_cross_signed_certificate_for_another_key_or_domain_does_not_vouch(tsa):
    cross_root, other_key_pem = cross_signed(CA, key=ec.generate_private_key(ec.SECP256R1()))
    data = wacz_bytes(sign=domain_signer(CA, tsa, crossSignedCert=other_key_pem))
    signature = signature_of(data, _roots(tsa, CA.root, cross_root))
    assert (signature["verdict"], signature["reason"]) == (
        "invalid",
        "crossSignedCert does not hold the domain certificate's key",
    )
    cross_root, other_domain_pem = cross_signed(CA, domain=f"other.{DOMAIN}")
    data = wacz_bytes(sign=domain_signer(CA, tsa, crossSignedCert=other_domain_pem))
    signature = signature_of(data, _roots(tsa, cross_root))
    assert signature["verdict"] == "untrusted_chain"
    assert (
        f"crossSignedCert: the cross-signed certificate is not for {DOMAIN}"
        in (signature["reason"])
    )
    malformed = wacz_bytes(sign=domain_signer(CA, tsa, crossSignedCert="-----BEGIN CERT"))
    signature = signature_of(malformed, _roots(tsa, CA.root))
    assert (signature["verdict"], signature["reason"]) == (
        "invalid",
        "crossSignedCert is not a PEM certificate chain",
    )


def _stamp_changed(tsa, change):
    """A domain signer whose timeSignature is the TSA's real reply, then changed by `change`."""

    def sign(package_hash: str) -> dict:
        signed = domain_signer(CA, tsa)(package_hash)
        reply = base64.b64decode(signed["timeSignature"])
        signed["timeSignature"] = base64.b64encode(change(reply)).decode()
        return signed

    return sign


def _flip_last_byte(reply: bytes) -> bytes:
    """The last byte of a TimeStampResp is the end of its token's signature (no unsigned
    attributes follow): the token still parses, its signature no longer holds."""
    return reply[:-1] + bytes([reply[-1] ^ 1])


def _change_gen_time(reply: bytes) -> bytes:
    """One digit of the token's genTime (in TSTInfo, before any certificate) changed."""
    from rfc3161_client import decode_timestamp_response

    stamped = decode_timestamp_response(reply).tst_info.gen_time
    text = stamped.strftime("%Y%m%d%H%M%S").encode()
    at = reply.index(text) + len(text) - 1
    return reply[:at] + (b"1" if reply[at : at + 1] != b"1" else b"2") + reply[at + 1 :]


@pytest.mark.parametrize(
    "change,reason",
    [
        (
            _flip_last_byte,
            "the timestamp's signature does not verify with the first certificate of timestampCert",
        ),
        (_change_gen_time, "the timestamp's content is not the content it signed"),
    ],
    ids=["signature", "time"],
)
def test_a_timestamp_whose_own_signature_does_not_hold_is_invalid_not_untrusted(
    tsa, change, reason
):
    data = wacz_bytes(sign=_stamp_changed(tsa, change))
    for roots in (roots_of(tsa), SignatureRoots()):  # whatever the roots say
        signature = signature_of(data, roots)
        assert (signature["verdict"], signature["reason"]) == ("invalid", reason), signature


def test_the_item_page_says_when_the_cross_signed_chain_stands_in(
    intake, tsa, monkeypatch, tmp_path
):
    cross_root, cross_pem = cross_signed(CA)
    roots = tmp_path / "roots.pem"
    roots.write_bytes(cross_root.public_bytes(serialization.Encoding.PEM))
    monkeypatch.setitem(intake.app.config, "CUSTOS_WACZ_DOMAIN_ROOTS", roots)
    monkeypatch.setitem(intake.app.config, "CUSTOS_WACZ_TIMESTAMP_ROOTS", tsa.ca)
    data = wacz_bytes(sign=domain_signer(CA, tsa, crossSignedCert=cross_pem))
    item = stored_intact(intake, intake.send("web", "x.wacz", data), data, "application/wacz")
    signature = json.loads(only_check(item).result)["signature"]
    assert (signature["verdict"], signature["trust_path"]) == ("verified", "crossSignedCert")
    page = intake.web.get(f"/investigations/{intake.ref}/evidence/{item.id}").get_data(True)
    assert "its cross-signed certificate (the same key) is, and stands in for it" in page
    assert "Cross-signed certificate issued by CN=Custos test cross-signing root" in page


def _unknown_digest_algorithm(reply: bytes) -> bytes:
    """The SignerInfo's digestAlgorithm (not itself signed) turned into an OID no one knows."""
    from app.webcapture import tsa_token

    token = decode_timestamp_response(reply).time_stamp_token()
    _, signer = tsa_token._signed_data(token)
    fields = tsa_token._elements(tsa_token._value(signer, 0x30))
    oid = tsa_token._elements(tsa_token._value(fields[2], 0x30))[0]
    at = reply.index(signer) + signer.index(fields[2]) + fields[2].index(oid) + len(oid) - 1
    return reply[:at] + b"\x7f" + reply[at + 1 :]


def test_a_timestamp_signed_in_an_unknown_way_is_not_called_verified_nor_invalid(tsa):
    data = wacz_bytes(sign=_stamp_changed(tsa, _unknown_digest_algorithm))
    signature = signature_of(data, roots_of(tsa))
    assert signature["verdict"] == "could_not_check", signature
    assert signature["reason"].startswith(
        "the timestamp's signature algorithm is not one Custos checks itself; "
        "the timestamp does not verify against a trusted timestamp root"
    )
