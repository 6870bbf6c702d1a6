"""Helpers that forge what an attacker could: a cache re-encrypted around a certificate signed by
another Ed25519 key (same kid, same claims), a tampered ciphertext."""
from __future__ import annotations

import json
import os
from typing import Any, Dict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ticketzero_license.cache import CACHE_FILE, CacheStore
from ticketzero_license.certificate import b64u_decode, sign_jws


def resign(token: str, key: Ed25519PrivateKey, **claim_changes: Any) -> str:
    """The same header and claims (with changes), signed by ``key``."""
    head, payload, _ = token.split(".")
    header = json.loads(b64u_decode(head))
    claims = json.loads(b64u_decode(payload))
    claims.update(claim_changes)
    return sign_jws(header, json.dumps(claims, separators=(",", ":")).encode(), key.sign)


def forge_cache(data_dir: str, license_key: str, instance_id: str, **claim_changes: Any) -> Dict[str, Any]:
    """Re-encrypts the cache correctly around a certificate signed by a foreign key."""
    store = CacheStore(data_dir, license_key=license_key, instance_id=instance_id)
    load = store.load()
    assert load.kind == "ok" and load.data and load.data["certificate"], load
    data = load.data
    data["certificate"] = resign(data["certificate"], Ed25519PrivateKey.generate(), **claim_changes)
    if isinstance(data.get("status"), dict):
        data["status"]["certificate"] = data["certificate"]
    store.save(data)
    return data


def tamper_cache(data_dir: str) -> None:
    """Flips one byte of the ciphertext: GCM authentication fails."""
    path = os.path.join(data_dir, CACHE_FILE)
    with open(path, "r", encoding="utf-8") as fh:
        envelope = json.load(fh)
    data = bytearray(__import__("base64").b64decode(envelope["data"]))
    data[len(data) // 2] ^= 0x01
    envelope["data"] = __import__("base64").b64encode(bytes(data)).decode()
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(envelope, fh)
