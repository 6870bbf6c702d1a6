"""Air-gapped activation (docs/AIR-GAPPED.md): request file, license file import rules, answers with
no network, local usage, the deactivation code. License files come from tests/support/license-file.ts."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support.forge import resign

from ticketzero_license import LicenseError
from ticketzero_license.cache import CacheStore


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def instance_public_key(data_dir: str):
    with open(os.path.join(data_dir, "instance-key.pem"), "rb") as fh:
        return serialization.load_pem_private_key(fh.read(), password=None).public_key()


@pytest.fixture
def gapped(portal, make_manager, stub_server):
    """An air-gapped installation: its server URL is a stub that counts (and refuses) every request."""
    spy = stub_server(503, '{"error":{"code":"UNAVAILABLE","message":"no network here"}}', "application/json")
    key = portal.issue("starter", max_tickets=10)
    manager = make_manager(key, server_url=spy.url, instance_name="air-gapped-box")
    request_path = os.path.join(manager.data_dir, "request.json")
    manager.write_activation_request(request_path)
    return manager, request_path, spy


def test_the_request_file_members_proof_and_signature(gapped):
    manager, request_path, _ = gapped
    with open(request_path, encoding="utf-8") as fh:
        request_file = json.load(fh)
    assert set(request_file) == {"type", "v", "request", "proof", "signature"}
    assert request_file["type"] == "ticketzero-activation-request" and request_file["v"] == 1
    payload = json.loads(b64u_decode(request_file["request"]))
    assert set(payload) == {"v", "keyMasked", "instanceId", "instanceName", "publicKey", "nonce", "createdAt", "client"}
    key = manager.license_key
    assert payload["keyMasked"] == f"TZ-STA-****-****-****-{key[-4:]}"
    assert payload["instanceId"] == manager.instance_id and payload["instanceName"] == "air-gapped-box"
    assert payload["client"] == "ticketzero-license-client-py/1.0.0"
    assert payload["createdAt"].endswith("Z") and len(payload["createdAt"]) == 24
    assert len(b64u_decode(payload["nonce"])) == 16

    message = f"tz-activation-request:v1.{request_file['request']}".encode()
    assert b64u_decode(request_file["proof"]) == hmac.new(key.encode(), message, hashlib.sha256).digest()
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
        "deactivatedAt": payload["deactivatedAt"],
    }
    assert manager.validate()["code"] != "LICENSE_FILE_VALID"
    with pytest.raises(LicenseError) as err:
        manager.import_license_file(text)  # the nonce was cleared: a file kept aside does not come back
    assert err.value.code == "LICENSE_FILE_INVALID"
    with pytest.raises(LicenseError):
        manager.deactivate_offline()
