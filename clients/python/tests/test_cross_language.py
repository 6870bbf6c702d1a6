"""The Python and TypeScript clients read each other's license.json: a certificate cached by one is
verified by the other, and both refuse the same forged cache. The TypeScript side runs through its
CLI (`npm run -s installation -- status --json ...`)."""
from __future__ import annotations

import json
import subprocess

from conftest import REPO_ROOT, closed_port_url, node_env
from support.forge import forge_cache


def ts_installation(portal, command, key, data_dir, server):
    done = subprocess.run(
        ["npm", "run", "-s", "installation", "--", command, "--json",
         "--data-dir", data_dir, "--key", key, "--server", server, "--jwks", portal.jwks_file],
        cwd=REPO_ROOT,
        env=node_env({"NODE_ENV": "test"}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    start = done.stdout.find("{")
    assert start >= 0, f"TypeScript CLI printed no JSON (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.returncode, json.loads(done.stdout[start:])


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
