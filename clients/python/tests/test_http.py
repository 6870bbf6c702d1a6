"""What is not the server speaking: HTML error pages, non-JSON answers, Retry-After."""
from __future__ import annotations

import pytest

from ticketzero_license import LicenseError

HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>"


def test_an_html_502_page_is_server_unreachable_with_the_offline_fallback(make_manager, stub_server):
    stub = stub_server(502, HTML)
    manager = make_manager("TZ-PRO-0000-0000-0000-0000", server_url=stub.url, max_retries=2)
    result = manager.validate()
    # Retried (a 502 is a refusal), then answered offline: no cache here.
    assert result["valid"] is False and result["code"] == "NO_CACHE", result
    assert "HTTP 502" in result["message"]
    assert len(stub.requests) == 3
    with pytest.raises(LicenseError) as err:
        manager.activate()
    assert err.value.code == "SERVER_UNREACHABLE" and err.value.retryable


def test_an_html_200_page_is_bad_response_never_a_json_error(make_manager, stub_server):
    stub = stub_server(200, "<html>captive portal</html>")
    manager = make_manager("TZ-PRO-0000-0000-0000-0000", server_url=stub.url)
    result = manager.validate()
    assert result["valid"] is False and result["code"] == "BAD_RESPONSE", result
    assert manager.get_license_status()["code"] == "BAD_RESPONSE"
    with pytest.raises(LicenseError) as err:
        manager.activate()
    assert err.value.code == "BAD_RESPONSE"


def test_an_html_404_page_is_bad_response(make_manager, stub_server):
    stub = stub_server(404, "<html>not here</html>")
    manager = make_manager("TZ-PRO-0000-0000-0000-0000", server_url=stub.url)
    with pytest.raises(LicenseError) as err:
        manager.activate()
    assert err.value.code == "BAD_RESPONSE" and err.value.status == 404


def test_retry_after_is_honoured_and_capped(make_manager, stub_server):
    stub = stub_server(
        503,
        '{"error":{"code":"UNAVAILABLE","message":"database down"}}',
        "application/json",
        {"Retry-After": "120"},
    )
    slept = []
    manager = make_manager(
        "TZ-PRO-0000-0000-0000-0000", server_url=stub.url, max_retries=2, sleep=slept.append, max_retry_after=30
    )
    assert manager.validate()["code"] == "NO_CACHE"
    assert slept == [30, 30]


def test_rate_limited_after_retries_keeps_its_code(make_manager, stub_server):
    stub = stub_server(
        429, '{"error":{"code":"RATE_LIMITED","message":"slow down"}}', "application/json", {"Retry-After": "1"}
    )
    slept = []
    manager = make_manager("TZ-PRO-0000-0000-0000-0000", server_url=stub.url, max_retries=1, sleep=slept.append)
    with pytest.raises(LicenseError) as err:
        manager.activate()
    assert err.value.code == "RATE_LIMITED" and err.value.retryable and slept == [1.0]
