"""``python -m ticketzero_license``: commands and the exit codes of docs/AIR-GAPPED.md."""
from __future__ import annotations

import json
import os

from conftest import closed_port_url, python_cli


def options(portal, key, data_dir, server=None):
    return ["--server", server or portal.url, "--key", key, "--data-dir", data_dir, "--jwks", portal.jwks_file]


def test_cli_commands_and_exit_codes(portal, temp_dir):
    key = portal.issue("professional")
    data_dir = temp_dir()
    opts = options(portal, key, data_dir)

    status = python_cli(["status", "--json", *opts])
    assert status.returncode == 0, status.stderr
    body = json.loads(status.stdout)
    assert body["valid"] is True and body["code"] == "VALID" and body["instanceId"]

    text = python_cli(["status", *opts])
    assert text.returncode == 0 and "TicketZero license status — online" in text.stdout
    assert "Advanced Dashboard (advanced_dashboard)" in text.stdout

    assert python_cli(["validate", *opts]).stdout.startswith("VALID (VALID)")
    assert python_cli(["features", "Advanced Dashboard", *opts]).returncode == 0
    assert python_cli(["features", "api-access", *opts]).returncode == 1
    listing = python_cli(["features", *opts])
    assert "[x] Advanced Dashboard" in listing.stdout and "[ ] API Access" in listing.stdout
    limits = json.loads(python_cli(["limits", "--json", *opts]).stdout)
    assert limits["limits"] == {"maxClients": 15, "maxTicketsPerMonth": 5000, "maxActivations": 5}

    # Offline from the cache: still 0; the environment configures it as well as options do.
    env = {"TZ_SERVER_URL": closed_port_url(), "TZ_LICENSE_KEY": key, "TZ_DATA_DIR": data_dir, "TZ_JWKS_FILE": portal.jwks_file}
    offline = python_cli(["validate", "--json"], env=env)
    assert offline.returncode == 0 and json.loads(offline.stdout)["code"] == "OFFLINE_VALID"

    assert python_cli(["deactivate", *opts]).returncode == 0
    assert python_cli(["validate", *opts]).returncode == 1  # DEACTIVATED
    assert python_cli(["activate", *opts]).returncode == 0


def test_cli_refused_usage_and_unreachable(portal, temp_dir):
    key = portal.issue("starter")
    data_dir = temp_dir()
    portal.cli("revoke", "--key", key)
    revoked = python_cli(["validate", "--json", *options(portal, key, data_dir)])
    assert revoked.returncode == 1 and json.loads(revoked.stdout)["code"] == "LICENSE_REVOKED"
    refused = python_cli(["activate", "--json", *options(portal, key, data_dir)])
    assert refused.returncode == 1 and json.loads(refused.stdout)["error"]["code"] == "LICENSE_REVOKED"

    assert python_cli(["frobnicate", *options(portal, key, data_dir)]).returncode == 2
    assert python_cli(["status", "--bogus", *options(portal, key, data_dir)]).returncode == 2
    assert python_cli(["status", "--data-dir", data_dir]).returncode == 2  # no key
    assert python_cli(["status", "--key", key, "--data-dir", data_dir, "--jwks", "/nonexistent.json"]).returncode == 2
    assert python_cli(["offline-import", "/nonexistent/license.json", *options(portal, key, data_dir)]).returncode == 2
    assert python_cli([]).returncode == 2
    assert python_cli(["--help"]).returncode == 0

    fresh = temp_dir()
    unreachable = python_cli(["validate", "--json", *options(portal, key, fresh, server=closed_port_url())])
    assert unreachable.returncode == 3 and json.loads(unreachable.stdout)["code"] == "NO_CACHE"
    activate = python_cli(["activate", *options(portal, key, fresh, server=closed_port_url())])
    assert activate.returncode == 3 and "SERVER_UNREACHABLE" in activate.stderr


def test_cli_air_gapped_round_trip(portal, temp_dir):
    key = portal.issue("starter")
    data_dir = temp_dir()
    opts = options(portal, key, data_dir, server=closed_port_url())
    request_path = os.path.join(data_dir, "request.json")
    assert python_cli(["offline-request", "--out", request_path, *opts]).returncode == 0
    printed = python_cli(["offline-request", "--out", "-", *opts])  # to standard output; the newer request counts
    assert printed.returncode == 0 and json.loads(printed.stdout)["type"] == "ticketzero-activation-request"
    with open(request_path, "w", encoding="utf-8") as fh:
        fh.write(printed.stdout)

    license_path = os.path.join(data_dir, "license-file.json")
    with open(license_path, "w", encoding="utf-8") as fh:
        fh.write(portal.license_file(request_path, key))
    imported = python_cli(["offline-import", license_path, *opts])
    assert imported.returncode == 0 and "LICENSE_FILE_VALID" in imported.stdout
    assert python_cli(["validate", *opts]).returncode == 0
    assert python_cli(["offline-import", license_path, *opts]).returncode == 0  # the same file again

    done = python_cli(["offline-deactivate", "--json", *opts])
    deactivation = json.loads(done.stdout)
    assert done.returncode == 0 and deactivation["code"].startswith("TZDC1.")
    assert deactivation["payload"]["instanceId"] and deactivation["payload"]["jti"]
    assert python_cli(["offline-import", license_path, *opts]).returncode == 1
    assert python_cli(["offline-deactivate", *opts]).returncode == 1
