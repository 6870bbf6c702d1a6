"""The Python and TypeScript clients read each other's license.json: a certificate or license file
cached by one is used by the other, and both refuse the same forged cache and license files. The TypeScript side runs through its
CLI (`npm run -s installation -- status --json ...`)."""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from conftest import REPO_ROOT, closed_port_url, node_env
from support.forge import forge_cache

from ticketzero_license import LicenseError


def ts_cli(portal, command, key, data_dir, *extra, server=None):
    """The TypeScript CLI (`npm run installation`) with --json; the server URL points nowhere unless given.
    Returns (exit code, its JSON or {}, stderr)."""
    done = subprocess.run(
        ["npm", "run", "-s", "installation", "--", command, *extra, "--json",
         "--data-dir", data_dir, "--key", key, "--server", server or closed_port_url(), "--jwks", portal.jwks_file],
        cwd=REPO_ROOT,
        env=node_env({"NODE_ENV": "test"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    start = done.stdout.find("{")
    return done.returncode, (json.loads(done.stdout[start:]) if start >= 0 else {}), done.stderr


def ts_installation(portal, command, key, data_dir, server):
    code, body, stderr = ts_cli(portal, command, key, data_dir, server=server)
    assert body, f"TypeScript CLI printed no JSON (exit {code}):\n{stderr}"
    return code, body


def test_python_cache_is_verified_by_the_typescript_client(portal, make_manager):
    manager = make_manager(portal.issue("professional"))
    assert manager.validate_license()[0]
    code, body = ts_installation(portal, "status", manager.license_key, manager.data_dir, closed_port_url())
    assert body["code"] == "OFFLINE_VALID" and body["valid"] is True, body
    assert body["instanceId"] == manager.instance_id and code == 0
    assert body["limits"]["maxClients"] == 15


def test_typescript_cache_is_verified_by_the_python_client(portal, make_manager, temp_dir):
    key = portal.issue("starter")
    data_dir = temp_dir()
    code, body = ts_installation(portal, "activate", key, data_dir, portal.url)
    assert code == 0 and body["validation"]["valid"] is True, body
    offline = make_manager(key, data_dir=data_dir, server_url=closed_port_url())
    assert offline.instance_id == body["instanceId"]
    result = offline.validate()
    assert result["valid"] is True and result["code"] == "OFFLINE_VALID", result
    assert offline.check_feature_access("Email Support")
    # And the Python client, back online, writes a cache the TypeScript client still reads.
    online = make_manager(key, data_dir=data_dir)
    assert online.validate()["code"] == "VALID"
    _, again = ts_installation(portal, "status", key, data_dir, closed_port_url())
    assert again["code"] == "OFFLINE_VALID", again


def test_both_refuse_the_same_forged_cache(portal, make_manager):
    manager = make_manager(portal.issue("professional"))
    assert manager.validate_license()[0]
    forge_cache(manager.data_dir, manager.license_key, manager.instance_id, plan="enterprise")
    offline = make_manager(manager.license_key, data_dir=manager.data_dir, server_url=closed_port_url())
    assert offline.validate()["code"] == "CERTIFICATE_INVALID"
    _, body = ts_installation(portal, "status", manager.license_key, manager.data_dir, closed_port_url())
    assert body["valid"] is False and body["code"] == "CERTIFICATE_INVALID", body


def test_a_license_file_imported_by_python_is_used_by_typescript_and_vice_versa(portal, make_manager, temp_dir):
    # Python writes the request and imports the portal's file; the TypeScript client answers from it.
    key = portal.issue("professional")
    python = make_manager(key, server_url=closed_port_url())
    request_path = os.path.join(python.data_dir, "request.json")
    python.write_activation_request(request_path)
    python.import_license_file(portal.license_file(request_path, key))
    code, body, _ = ts_cli(portal, "validate", key, python.data_dir)
    assert code == 0 and body["code"] == "LICENSE_FILE_VALID", body
    # The TypeScript client deactivates it: its code frees the slot at the portal, and Python sees the file gone.
    code, deactivation, err = ts_cli(portal, "offline-deactivate", key, python.data_dir)
    assert code == 0 and deactivation["code"].startswith("TZDC1."), err
    freed = portal.cli("deactivate-code", "--code", deactivation["code"])
    assert freed["alreadyDeactivated"] is False and freed["swapUsed"] is False
    again = make_manager(key, data_dir=python.data_dir, server_url=closed_port_url())
    assert again.validate()["valid"] is False

    # The other way: TypeScript writes the request and imports; Python answers from the file.
    key2 = portal.issue("starter")
    data_dir = temp_dir()
    ts_request = os.path.join(data_dir, "ts-request.json")
    code, _, err = ts_cli(portal, "offline-request", key2, data_dir, "--out", ts_request)
    assert code == 0, err
    license_path = os.path.join(data_dir, "license-file.json")
    with open(license_path, "w", encoding="utf-8") as fh:
        fh.write(portal.license_file(ts_request, key2))
    code, imported, err = ts_cli(portal, "offline-import", key2, data_dir, license_path)
    assert code == 0 and imported["code"] == "LICENSE_FILE_VALID", err
    offline = make_manager(key2, data_dir=data_dir, server_url=closed_port_url())
    result = offline.validate()
    assert result["valid"] is True and result["code"] == "LICENSE_FILE_VALID", result
    assert offline.check_feature_access("Email Support")


def test_both_refuse_the_same_forged_license_files(portal, make_manager, temp_dir):
    key = portal.issue("professional")
    python = make_manager(key, server_url=closed_port_url())
    request_path = os.path.join(python.data_dir, "request.json")
    python.write_activation_request(request_path)
    now = int(time.time())
    forged = {
        "another instance": portal.license_file(request_path, key, instance_id="someone-else"),
        "an online certificate's type": portal.license_file(request_path, key, typ="JWT"),
        "another request's nonce": portal.license_file(request_path, key, nonce="bm90LXRoaXMtb25l"),
        "an expired file": portal.license_file(request_path, key, iat=now - 100 * 86400, exp=now - 86400),
    }
    for why, text in forged.items():
        with pytest.raises(LicenseError) as err:
            python.import_license_file(text)
        assert err.value.code == "LICENSE_FILE_INVALID", why
        path = os.path.join(python.data_dir, "forged.json")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        code, body, stderr = ts_cli(portal, "offline-import", key, python.data_dir, path)
        assert code == 1, why
        assert "LICENSE_FILE_INVALID" in json.dumps(body) + stderr, why
