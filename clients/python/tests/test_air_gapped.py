"""Air-gapped activation (docs/AIR-GAPPED.md): request file, license file import rules, answers with
no network, local usage, the deactivation code. License files come from tests/support/license-file.ts."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support.forge import resign

from conftest import closed_port_url, python_cli
from ticketzero_license import LicenseError
from ticketzero_license.cache import CacheStore
from ticketzero_license.certificate import b64u_encode, sign_jws, verify_certificate


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def instance_public_key(data_dir: str):
    with open(os.path.join(data_dir, "instance-key.pem"), "rb") as fh:
        return serialization.load_pem_private_key(fh.read(), password=None).public_key()


def forged_file(portal, request_path, key, **overrides):
    """A license file answering the request, from the test forger (tests/support/license-file.ts)
    rather than the portal's own code: for the client's rules, independent of the portal side."""
    overrides.setdefault("typ", "tz-license-file+jwt")
    return portal.license_file(request_path, key, **overrides)


def cached_nonce(manager):
    load = CacheStore(manager.data_dir, license_key=manager.license_key, instance_id=manager.instance_id).load()
    return load.data.get("offlineRequestNonce") if load.data else None


@pytest.fixture
def gapped(portal, make_manager, stub_server):
    """An air-gapped installation: its server URL is a stub that counts (and refuses) every request."""
    spy = stub_server(503, '{"error":{"code":"UNAVAILABLE","message":"no network here"}}', "application/json")
    key = portal.issue("starter", max_tickets=10)
    manager = make_manager(key, server_url=spy.url, instance_name="air-gapped-box")
    request_path = os.path.join(manager.data_dir, "request.json")
    manager.write_activation_request(request_path)
    return manager, request_path, spy


def test_the_request_file_members_pbkdf2_proof_and_signature(gapped):
    manager, request_path, _ = gapped
    with open(request_path, encoding="utf-8") as fh:
        request_file = json.load(fh)
    assert set(request_file) == {"type", "v", "request", "proof", "signature"}
    assert request_file["type"] == "ticketzero-activation-request" and request_file["v"] == 1
    payload = json.loads(b64u_decode(request_file["request"]))
    assert set(payload) == {"v", "keyPrefix", "instanceId", "instanceName", "publicKey", "nonce", "createdAt", "client"}
    key = manager.license_key
    assert payload["keyPrefix"] == "TZ-STA"
    assert payload["instanceId"] == manager.instance_id and payload["instanceName"] == "air-gapped-box"
    assert payload["client"] == "ticketzero-license-client-py/1.0.0"
    assert payload["createdAt"].endswith("Z") and len(payload["createdAt"]) == 24
    assert len(b64u_decode(payload["nonce"])) == 16

    message = f"tz-activation-request:v1.{request_file['request']}".encode()
    # proofKey = PBKDF2-HMAC-SHA256(normalised key, 'tz-activation-request:v1:' + nonce, 200 000, 32 bytes).
    salt = f"tz-activation-request:v1:{payload['nonce']}".encode()
    proof_key = hashlib.pbkdf2_hmac("sha256", key.encode(), salt, 200_000, 32)
    assert b64u_decode(request_file["proof"]) == hmac.new(proof_key, message, hashlib.sha256).digest()
    # Not the old fast MAC keyed with the license key itself.
    assert b64u_decode(request_file["proof"]) != hmac.new(key.encode(), message, hashlib.sha256).digest()
    public = instance_public_key(manager.data_dir)
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert b64u_decode(payload["publicKey"]) == raw
    public.verify(b64u_decode(request_file["signature"]), message)  # raises when it does not verify
    key_file = os.path.join(manager.data_dir, "instance-key.pem")
    assert oct(os.stat(key_file).st_mode & 0o777) == "0o600"
    with open(key_file, encoding="ascii") as fh:
        assert fh.read().startswith("-----BEGIN PRIVATE KEY-----")
    # The nonce is kept in the encrypted cache for the import.
    cache = CacheStore(manager.data_dir, license_key=key, instance_id=manager.instance_id).load()
    assert cache.data["offlineRequestNonce"] == payload["nonce"]


def test_the_request_carries_no_random_character_of_the_key(portal, make_manager):
    for plan in ("trial", "starter", "professional", "enterprise"):
        key = portal.issue(plan)
        manager = make_manager(key, server_url=closed_port_url())
        text = manager.write_activation_request()
        decoded = b64u_decode(json.loads(text)["request"]).decode()
        assert json.loads(decoded)["keyPrefix"] == "-".join(key.split("-")[:2])
        for seen in (text, decoded):
            assert key[-4:] not in seen, plan
            for group in key.split("-")[2:]:
                assert group[:4] not in seen, plan


def test_the_instance_name_is_trimmed_and_a_blank_one_is_the_host_name(portal, make_manager):
    import socket

    key = portal.issue("starter")
    blank = make_manager(key, server_url=closed_port_url(), instance_name="   ")
    payload = json.loads(b64u_decode(json.loads(blank.write_activation_request())["request"]))
    assert payload["instanceName"] == (socket.gethostname().strip() or "installation")
    padded = make_manager(key, server_url=closed_port_url(), instance_name="  Vault 7 \n")
    payload = json.loads(b64u_decode(json.loads(padded.write_activation_request())["request"]))
    assert payload["instanceName"] == "Vault 7"


def test_a_request_that_cannot_be_written_changes_nothing(portal, gapped):
    manager, request_path, _ = gapped
    before = cached_nonce(manager)
    assert before
    missing_dir = os.path.join(manager.data_dir, "no-such-dir")
    with pytest.raises(OSError):
        manager.write_activation_request(os.path.join(missing_dir, "request.json"))
    assert cached_nonce(manager) == before
    assert not os.path.exists(missing_dir)
    assert [f for f in os.listdir(manager.data_dir) if f.endswith(".tmp")] == []
    # The request written before still imports.
    status = manager.import_license_file(forged_file(portal, request_path, manager.license_key))
    assert status["code"] == "LICENSE_FILE_VALID"


def test_the_cli_exits_2_when_the_request_cannot_be_written(portal, temp_dir):
    key = portal.issue("starter")
    work = temp_dir()
    data_dir = os.path.join(work, "data")
    opts = ["--key", key, "--data-dir", data_dir, "--jwks", portal.jwks_file]
    good = python_cli(["offline-request", "--out", os.path.join(work, "request.json"), *opts])
    assert good.returncode == 0, good.stderr
    assert "(TZ-STA)" in good.stdout
    with open(os.path.join(work, "request.json"), encoding="utf-8") as fh:
        nonce = json.loads(b64u_decode(json.load(fh)["request"]))["nonce"]
    failed = python_cli(["offline-request", "--out", os.path.join(work, "missing", "request.json"), *opts])
    assert failed.returncode == 2
    assert "Cannot write the activation request" in failed.stderr and "No such file or directory" in failed.stderr
    assert "Nothing was changed" in failed.stderr
    with open(os.path.join(data_dir, "instance-id"), encoding="utf-8") as fh:
        instance_id = fh.read().strip()
    load = CacheStore(data_dir, license_key=key, instance_id=instance_id).load()
    assert load.data["offlineRequestNonce"] == nonce


def test_the_status_from_a_file_and_the_local_usage_rules(portal, gapped, clock):
    manager, request_path, _ = gapped
    text = forged_file(portal, request_path, manager.license_key)
    manager.import_license_file(text)
    claims = json.loads(b64u_decode(json.loads(text)["license"].split(".")[1]))
    status = manager.get_license_status()
    assert status["airGapped"] is True and status["certificate"] is None and status["lastServerContact"] is None
    assert status["usage"]["activations"] == 1
    assert status["license"]["issuedAt"] == datetime.fromtimestamp(claims["iat"], tz=timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    # Clients are checked first, then tickets (as the TypeScript client): both over is CLIENT_LIMIT_EXCEEDED.
    with pytest.raises(LicenseError) as both:
        manager.record_tickets(11, clients=6)
    assert both.value.code == "CLIENT_LIMIT_EXCEEDED"
    manager.record_tickets(7, clients=3)
    # A new UTC month starts from zero tickets and zero clients.
    now = clock.now()
    first = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, 0, 1, tzinfo=timezone.utc)
    clock.advance(seconds=(first - now).total_seconds())
    usage = manager.get_license_status()["usage"]
    assert (usage["ticketsThisMonth"], usage["clients"]) == (0, 0)
    assert manager.record_tickets(10)["usage"]["clients"] == 0


def test_import_requires_every_claim(portal, gapped):
    manager, request_path, _ = gapped
    # lid falls back to sub: both left out.
    for claim in ("limits", "lid,sub", "jti", "nonce", "ipk", "instanceId", "iat", "exp"):
        text = forged_file(portal, request_path, manager.license_key, omit=claim)
        with pytest.raises(LicenseError) as err:
            manager.import_license_file(text)
        assert err.value.code == "LICENSE_FILE_INVALID", claim
    status = manager.import_license_file(forged_file(portal, request_path, manager.license_key))
    assert status["code"] == "LICENSE_FILE_VALID"


def test_a_license_file_is_not_an_online_certificate():
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(raw), "kid": "k1"}]}
    now = int(time.time())
    claims = json.dumps({"lid": "L", "instanceId": "i", "iat": now, "exp": now + 3600}).encode()
    as_file = sign_jws({"alg": "EdDSA", "typ": "tz-license-file+jwt", "kid": "k1"}, claims, key.sign)
    check = verify_certificate(as_file, jwks, current=datetime.now(timezone.utc), expected_instance_id="i")
    assert check.outcome == "invalid" and "not an online certificate" in check.message
    online = sign_jws({"alg": "EdDSA", "typ": "JWT", "kid": "k1"}, claims, key.sign)
    assert verify_certificate(online, jwks, current=datetime.now(timezone.utc), expected_instance_id="i").ok


def test_import_then_answers_from_the_file_with_no_network(portal, gapped):
    manager, request_path, spy = gapped
    status = manager.import_license_file(portal.license_file(request_path, manager.license_key))
    assert status["valid"] is True and status["code"] == "LICENSE_FILE_VALID"
    before = len(spy.requests)

    assert manager.validate()["code"] == "LICENSE_FILE_VALID"
    assert manager.validate_license()[0]
    assert manager.check_feature_access("Email Support") and not manager.check_feature_access("API Access")
    assert manager.get_usage_limits() == {"max_clients": 5, "max_tickets_per_month": 10, "max_activations": 2}
    status = manager.get_license_status()
    assert status["offline"] is True and status["status"] == "valid"
    assert status["offlineValidUntil"] and status["license"]["planName"] == "Starter"
    assert any(w["code"] == "AIR_GAPPED" for w in status["warnings"])
    assert len(spy.requests) == before == 0

    # Local usage, counted in the cache per UTC month.
    assert manager.record_tickets(7, clients=3)["remaining"] == 3
    with pytest.raises(LicenseError) as over:
        manager.record_tickets(4)
    assert over.value.code == "USAGE_LIMIT_EXCEEDED"
    with pytest.raises(LicenseError) as clients:
        manager.record_tickets(1, clients=6)
    assert clients.value.code == "CLIENT_LIMIT_EXCEEDED"
    usage = manager.get_license_status()["usage"]
    assert (usage["ticketsThisMonth"], usage["clients"]) == (7, 3)
    assert len(spy.requests) == 0


def test_import_refusals_keep_what_was_there(portal, gapped, clock):
    manager, request_path, _ = gapped
    key = manager.license_key
    good = portal.license_file(request_path, key)
    manager.import_license_file(good)
    now = int(time.time())
    foreign = json.loads(good)
    foreign["license"] = resign(foreign["license"], Ed25519PrivateKey.generate())
    other_ipk = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    refused = {
        "an online certificate is not a license file": portal.license_file(request_path, key, typ="JWT"),
        "a foreign signature": json.dumps(foreign),
        "another instance": portal.license_file(request_path, key, instance_id="someone-else"),
        "another instance key": portal.license_file(request_path, key, ipk=other_ipk),
        "another request's nonce": portal.license_file(request_path, key, nonce="bm90LXRoaXMtb25l"),
        "an expired file": portal.license_file(request_path, key, iat=now - 100 * 86400, exp=now - 86400),
        "a file from the future": portal.license_file(request_path, key, iat=now + 3600, exp=now + 10 * 86400),
        "not a license file": json.dumps({"type": "something-else", "v": 1, "license": "x.y.z"}),
    }
    for reason, text in refused.items():
        with pytest.raises(LicenseError) as err:
            manager.import_license_file(text)
        assert err.value.code == "LICENSE_FILE_INVALID", reason
        assert manager.validate()["code"] == "LICENSE_FILE_VALID", reason


def test_expired_file_and_rolled_back_clock(portal, gapped, clock):
    manager, request_path, _ = gapped
    now = int(clock.now().timestamp())
    manager.import_license_file(portal.license_file(request_path, manager.license_key, iat=now, exp=now + 3 * 86400))
    clock.advance(days=2)
    assert manager.validate()["code"] == "LICENSE_FILE_VALID"  # raises the local high-water mark
    assert manager.get_license_status()["status"] == "expiring_soon"
    clock.advance(days=-1)
    assert manager.validate()["code"] == "CLOCK_ROLLBACK"
    clock.advance(days=2)
    result = manager.get_license_status()
    assert result["code"] == "LICENSE_FILE_EXPIRED" and result["status"] == "expired"


def test_offline_deactivation_code_verifies_and_the_old_file_cannot_return(portal, gapped):
    manager, request_path, _ = gapped
    text = portal.license_file(request_path, manager.license_key)
    manager.import_license_file(text)
    code = manager.deactivate_offline()

    prefix, payload_part, signature = code.split(".")
    assert prefix == "TZDC1"
    instance_public_key(manager.data_dir).verify(b64u_decode(signature), f"tz-deactivation:v1.{payload_part}".encode())
    payload = json.loads(b64u_decode(payload_part))
    claims = json.loads(b64u_decode(json.loads(text)["license"].split(".")[1]))
    assert payload == {
        "v": 1,
        "lid": claims["lid"],
        "instanceId": manager.instance_id,
        "jti": claims["jti"],
        "nonce": claims["nonce"],
        "deactivatedAt": payload["deactivatedAt"],
    }
    assert list(payload) == ["v", "lid", "instanceId", "jti", "nonce", "deactivatedAt"]
    assert manager.validate()["code"] != "LICENSE_FILE_VALID"
    with pytest.raises(LicenseError) as err:
        manager.import_license_file(text)  # the nonce was cleared: a file kept aside does not come back
    assert err.value.code == "LICENSE_FILE_INVALID"
    with pytest.raises(LicenseError):
        manager.deactivate_offline()


def test_the_deactivation_code_carries_the_pending_renewal_nonce(portal, gapped):
    manager, request_path, _ = gapped
    text = forged_file(portal, request_path, manager.license_key)
    manager.import_license_file(text)
    renewal = json.loads(b64u_decode(json.loads(manager.write_activation_request())["request"]))
    code = manager.deactivate_offline()
    payload = json.loads(b64u_decode(code.split(".")[1]))
    claims = json.loads(b64u_decode(json.loads(text)["license"].split(".")[1]))
    assert payload["jti"] == claims["jti"] and payload["nonce"] == renewal["nonce"] != claims["nonce"]
