"""The offline cache: the guide's ``license.json``, v2, byte-compatible with the TypeScript client.

AES-256-GCM (authenticated). There is no key file: the key is HKDF-SHA256 of the license key and
the instance id (plus the optional ``cache_secret``), and the AAD binds the ciphertext to the
instance id and the license key's hash, so a cache copied to another instance, written for another
key, re-encrypted under another secret or modified fails authentication (CACHE_INVALID).

The encryption keeps the cache private and detects accidents and copies; it is NOT what makes
offline operation unforgeable (whoever knows the key and the instance id can re-encrypt anything):
that rests on the certificate's signature, verified against the trust anchors on every load.

The cache is a plain dict with the TypeScript ``CacheData`` member names (camelCase); members this
client does not know are kept as they are.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets as _secrets
from dataclasses import dataclass
from typing import Any, Dict, Optional, Union

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CACHE_FILE = "license.json"
#: Written by clients before v2; removed at the next save (the key is derived now).
LEGACY_KEY_FILE = "license.key"
INSTANCE_FILE = "instance-id"
CACHE_VERSION = 2

# The exact constants of lib/client/cache.ts: both clients read each other's cache.
HKDF_SALT = b"ticketzero-license-cache:v2"
HKDF_INFO_PREFIX = "instance:"
AAD_PREFIX = "ticketzero-license-cache:v2"

CacheData = Dict[str, Any]
Secret = Union[str, bytes, None]


def normalise_key(license_key: str) -> str:
    return license_key.strip().upper()


def hash_key(license_key: str) -> str:
    """SHA-256 hex of the normalised key: a cache written for another key is ignored."""
    return hashlib.sha256(normalise_key(license_key).encode("utf-8")).hexdigest()


def derive_cache_key(license_key: str, instance_id: str, secret: Secret = None) -> bytes:
    """HKDF-SHA256(ikm = key 0x00 [secret], salt, info = "instance:" + id) → 32-byte AES key."""
    extra = b"" if secret is None else (secret.encode("utf-8") if isinstance(secret, str) else bytes(secret))
    ikm = normalise_key(license_key).encode("utf-8") + b"\x00" + extra
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=HKDF_SALT,
        info=f"{HKDF_INFO_PREFIX}{instance_id}".encode("utf-8"),
    )
    return hkdf.derive(ikm)


def cache_aad(instance_id: str, key_hash: str) -> bytes:
    return f"{AAD_PREFIX}|instance={instance_id}|key={key_hash}".encode("utf-8")


def write_atomic(file: str, data: Union[str, bytes], mode: int = 0o600) -> None:
    tmp = f"{file}.{os.getpid()}.{_secrets.token_hex(4)}.tmp"
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, file)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def js_json(value: Any) -> str:
    """``JSON.stringify(value)``: compact, UTF-8 (not ASCII-escaped)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass
class CacheLoad:
    #: "ok", "missing" or "invalid".
    kind: str
    data: Optional[CacheData] = None
    message: str = ""


class CacheStore:
    def __init__(self, directory: str, *, license_key: str, instance_id: str, secret: Secret = None) -> None:
        self.dir = directory
        self.cache_file = os.path.join(directory, CACHE_FILE)
        self.instance_id = instance_id
        self.key_hash = hash_key(license_key)
        self._aes = AESGCM(derive_cache_key(license_key, instance_id, secret))
        self._aad = cache_aad(instance_id, self.key_hash)

    def load(self) -> CacheLoad:
        try:
            with open(self.cache_file, "r", encoding="utf-8") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return CacheLoad("missing")
        except (OSError, UnicodeDecodeError) as err:
            return CacheLoad("invalid", message=f"cannot read {CACHE_FILE}: {err}")
        try:
            envelope = json.loads(raw)
            if isinstance(envelope, dict) and envelope.get("v") == 1:
                return CacheLoad(
                    "invalid",
                    message=f"{CACHE_FILE} was written by an older client (encrypted under {LEGACY_KEY_FILE}); "
                    "ignoring it until the server is reached",
                )
            if not (
                isinstance(envelope, dict)
                and envelope.get("v") == CACHE_VERSION
                and all(isinstance(envelope.get(m), str) for m in ("iv", "tag", "data"))
            ):
                raise ValueError("unexpected format")
            iv = base64.b64decode(envelope["iv"])
            sealed = base64.b64decode(envelope["data"]) + base64.b64decode(envelope["tag"])
            plain = self._aes.decrypt(iv, sealed, self._aad)
            data = json.loads(plain.decode("utf-8"))
            if (
                not isinstance(data, dict)
                or data.get("v") != CACHE_VERSION
                or data.get("keyHash") != self.key_hash
                or data.get("instanceId") != self.instance_id
            ):
                raise ValueError("unexpected content")
            if not isinstance(data.get("keySetTokens"), list):
                data["keySetTokens"] = []
            return CacheLoad("ok", data=data)
        except (ValueError, InvalidTag, UnicodeDecodeError, TypeError):
            return CacheLoad(
                "invalid",
                message=f"{CACHE_FILE} failed authentication (tampered, corrupted, copied from another instance, "
                "or written for another license key); ignoring it",
            )

    def save(self, data: CacheData) -> None:
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        iv = os.urandom(12)
        sealed = self._aes.encrypt(iv, js_json(data).encode("utf-8"), self._aad)
        envelope = {
            "v": CACHE_VERSION,
            "alg": "A256GCM",
            "kdf": "HKDF-SHA256",
            "iv": base64.b64encode(iv).decode("ascii"),
            "tag": base64.b64encode(sealed[-16:]).decode("ascii"),
            "data": base64.b64encode(sealed[:-16]).decode("ascii"),
        }
        write_atomic(self.cache_file, js_json(envelope) + "\n", 0o600)
        # The key file of older clients is no longer used: do not leave it beside the cache.
        try:
            os.unlink(os.path.join(self.dir, LEGACY_KEY_FILE))
        except FileNotFoundError:
            pass


_INSTANCE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def is_valid_instance_id(value: str) -> bool:
    return isinstance(value, str) and bool(_INSTANCE_ID.match(value)) and "\n" not in value


def resolve_instance_id(data_dir: str, given: Optional[str]) -> str:
    """The stable instance id: given, or read from ``data_dir/instance-id``, or generated (``tz-`` + hex)."""
    if given is not None:
        if not is_valid_instance_id(given):
            raise ValueError("instance_id must be 1-128 characters of A-Za-z0-9._:-")
        return given
    path = os.path.join(data_dir, INSTANCE_FILE)
    try:
        with open(path, "r", encoding="utf-8") as fh:
            existing = fh.read().strip()
        if is_valid_instance_id(existing):
            return existing
    except FileNotFoundError:
        pass
    instance_id = f"tz-{_secrets.token_hex(12)}"
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    write_atomic(path, f"{instance_id}\n", 0o600)
    return instance_id
