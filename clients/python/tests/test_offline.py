"""Offline operation from the cached certificate: grace from the signed iat, rollback, refused caches."""
from __future__ import annotations

import json
import os
import shutil

from conftest import closed_port_url
from support.forge import forge_cache, tamper_cache

from ticketzero_license.cache import CACHE_FILE


def activated(portal, make_manager, **options):
    """An installation activated online, and a twin of it (same data dir) whose server is unreachable."""
    manager = make_manager(portal.issue("professional"), **options)
    assert manager.validate_license()[0]
    offline = make_manager(manager.license_key, data_dir=manager.data_dir, server_url=closed_port_url(), **options)
    return manager, offline


def test_inside_the_grace_period_answers_offline_valid(portal, make_manager, clock):
    online, offline = activated(portal, make_manager)
    clock.advance(days=3)

    result = offline.validate()
    assert result["valid"] is True and result["code"] == "OFFLINE_VALID", result
    assert offline.check_feature_access("Advanced Dashboard")
    assert offline.get_usage_limits()["max_clients"] == 15
    status = offline.get_license_status()
    assert status["offline"] is True and status["status"] == "valid"
    assert status["lastServerContact"] and status["offlineValidUntil"]
    assert any(w["code"] == "OFFLINE" for w in status["warnings"])
    assert status["license"]["planName"] == "Professional"


def test_after_grace_days_offline_grace_expired(portal, make_manager, clock):
    _, offline = activated(portal, make_manager, grace_days=2)
    clock.advance(days=2, hours=1)
    result = offline.validate()
    assert result["valid"] is False and result["code"] == "OFFLINE_GRACE_EXPIRED", result
    assert offline.get_license_status()["status"] == "expired"
    assert offline.get_usage_limits()["max_tickets_per_month"] == 0


def test_certificate_expired_offline(portal, make_manager, clock):
    _, offline = activated(portal, make_manager, grace_days=60)
    clock.advance(days=31)  # past the certificate's exp (at most 30 days)
    assert offline.validate()["code"] == "CERTIFICATE_EXPIRED"


def test_clock_rolled_back_is_refused(portal, make_manager, clock):
    _, offline = activated(portal, make_manager)
    clock.advance(hours=-2)
    result = offline.validate()
    assert result["valid"] is False and result["code"] == "CLOCK_ROLLBACK", result
    # Within the allowed skew (5 minutes) it is not a rollback.
    clock.advance(hours=2, minutes=-4)
    assert offline.validate()["code"] == "OFFLINE_VALID"


def test_a_tampered_cache_is_cache_invalid(portal, make_manager):
    _, offline = activated(portal, make_manager)
    tamper_cache(offline.data_dir)
    result = offline.validate()
    assert result == {**result, "valid": False, "code": "CACHE_INVALID"}


def test_a_cache_copied_to_another_instance_is_cache_invalid(portal, make_manager, temp_dir):
    online, _ = activated(portal, make_manager)
    other_dir = temp_dir()
    shutil.copy(os.path.join(online.data_dir, CACHE_FILE), os.path.join(other_dir, CACHE_FILE))
    copy = make_manager(online.license_key, data_dir=other_dir, server_url=closed_port_url())
    assert copy.instance_id != online.instance_id
    assert copy.validate()["code"] == "CACHE_INVALID"


def test_a_cache_for_another_secret_is_cache_invalid(portal, make_manager):
    online, _ = activated(portal, make_manager)
    other = make_manager(online.license_key, data_dir=online.data_dir, server_url=closed_port_url(), cache_secret="keyring")
    assert other.validate()["code"] == "CACHE_INVALID"


def test_a_foreign_signature_is_certificate_invalid(portal, make_manager):
    online, offline = activated(portal, make_manager)
    forge_cache(online.data_dir, online.license_key, online.instance_id, limits={"maxClients": 9999, "maxTicketsPerMonth": 9999999, "maxActivations": 999})
    result = offline.validate()
    assert result["valid"] is False and result["code"] == "CERTIFICATE_INVALID", result
    assert offline.get_usage_limits()["max_clients"] == 0


def test_the_cache_envelope_is_the_shared_v2_format(portal, make_manager):
    online, _ = activated(portal, make_manager)
    with open(os.path.join(online.data_dir, CACHE_FILE), encoding="utf-8") as fh:
        envelope = json.load(fh)
    assert set(envelope) == {"v", "alg", "kdf", "iv", "tag", "data"}
    assert (envelope["v"], envelope["alg"], envelope["kdf"]) == (2, "A256GCM", "HKDF-SHA256")
    assert oct(os.stat(os.path.join(online.data_dir, CACHE_FILE)).st_mode & 0o777) == "0o600"
