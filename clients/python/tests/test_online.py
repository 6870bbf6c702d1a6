"""The guide's calls against the real server: validation, feature gates, limits, status, usage, refusals."""
from __future__ import annotations

import pytest

from ticketzero_license import LicenseError


def test_the_guides_calls_on_a_professional_license(portal, make_manager):
    manager = make_manager(portal.issue("professional"))

    is_valid, message = manager.validate_license()
    assert is_valid, message
    assert "Professional" in message

    # By display name and by key, case/space/hyphen-insensitive.
    assert manager.check_feature_access("Advanced Dashboard")
    assert manager.check_feature_access("advanced_dashboard")
    assert manager.check_feature_access("  multi-llm SUPPORT ")
    assert not manager.check_feature_access("White Label Branding")
    assert not manager.check_feature_access("")

    assert manager.get_usage_limits() == {"max_clients": 15, "max_tickets_per_month": 5000, "max_activations": 5}

    status = manager.get_license_status()
    assert status["valid"] is True and status["code"] == "VALID" and status["status"] == "valid"
    assert status["license"]["plan"] == "professional" and status["license"]["planName"] == "Professional"
    assert status["license"]["key"].startswith("TZ-PRO-****-****-****-")
    assert status["limits"] == {"maxClients": 15, "maxTicketsPerMonth": 5000, "maxActivations": 5}
    assert status["activation"]["instanceId"] == manager.instance_id
    assert status["certificate"].count(".") == 2
    assert {"key": "advanced_dashboard", "name": "Advanced Dashboard"} in status["features"]
    assert manager.validate() == {"valid": True, "message": message, "code": "VALID"}


def test_record_tickets_counts_and_refuses_over_the_limit(portal, make_manager):
    manager = make_manager(portal.issue("starter", max_tickets=10))
    report = manager.record_tickets(8, clients=2)
    assert report["remaining"] == 2
    assert report["usage"]["ticketsThisMonth"] == 8

    with pytest.raises(LicenseError) as refused:
        manager.record_tickets(5)
    assert refused.value.code == "USAGE_LIMIT_EXCEEDED"
    assert refused.value.status == 409
    # Nothing was counted.
    assert manager.get_license_status()["usage"]["ticketsThisMonth"] == 8

    manager.assert_within_limits(clients=5, tickets=2)
    with pytest.raises(LicenseError) as over:
        manager.assert_within_limits(tickets=3)
    assert over.value.code == "USAGE_LIMIT_EXCEEDED"
    with pytest.raises(LicenseError) as clients:
        manager.assert_within_limits(clients=6)
    assert clients.value.code == "CLIENT_LIMIT_EXCEEDED"
    with pytest.raises(LicenseError) as bad:
        manager.record_tickets(-1)
    assert bad.value.code == "INVALID_INPUT"


def test_revoked_and_suspended_licenses(portal, make_manager):
    revoked_key = portal.issue("starter")
    suspended_key = portal.issue("starter")
    revoked = make_manager(revoked_key)
    suspended = make_manager(suspended_key)
    assert revoked.validate_license()[0] and suspended.validate_license()[0]
    portal.cli("revoke", "--key", revoked_key, "--reason", "python client test")
    portal.cli("suspend", "--key", suspended_key, "--reason", "python client test")

    for manager, code in ((revoked, "LICENSE_REVOKED"), (suspended, "LICENSE_SUSPENDED")):
        result = manager.validate()
        assert result["valid"] is False and result["code"] == code
        assert manager.get_usage_limits() == {"max_clients": 0, "max_tickets_per_month": 0, "max_activations": 0}
        assert not manager.check_feature_access("AI Ticket Processing")
        status = manager.get_license_status()
        assert status["status"] == "invalid" and status.get("certificate") is None
        with pytest.raises(LicenseError) as refused:
            manager.activate()
        assert refused.value.code == code and refused.value.status == 403
        with pytest.raises(LicenseError) as usage:
            manager.record_tickets(1)
        assert usage.value.code == code


def test_unknown_key_is_not_found(make_manager):
    manager = make_manager("TZ-PRO-0000-0000-0000-0000")
    assert manager.validate()["code"] == "LICENSE_NOT_FOUND"
    with pytest.raises(LicenseError) as refused:
        manager.activate()
    assert refused.value.code == "LICENSE_NOT_FOUND" and refused.value.status == 404


def test_activation_limit_reached_carries_the_retry_time(portal, make_manager):
    key = portal.issue("starter", max_activations=1)
    first = make_manager(key)
    assert first.validate_license()[0]

    second = make_manager(key)
    with pytest.raises(LicenseError) as refused:
        second.activate()
    err = refused.value
    assert err.code == "ACTIVATION_LIMIT_REACHED" and err.status == 409
    assert isinstance(err.retry_after_seconds, int) and err.retry_after_seconds > 0
    assert "nextSlotFreesAt" in (err.details or {})

    # Automatic activation now waits for the server's time: the stored refusal answers.
    result = second.validate()
    assert result["valid"] is False and result["code"] == "ACTIVATION_LIMIT_REACHED"
    assert "next automatic activation attempt after" in result["message"]

    # Deactivating the first frees the slot (a swap) and the second activates.
    first.deactivate()
    assert first.validate()["code"] == "DEACTIVATED"
    second.activate()
    assert second.validate_license()[0]
