"""Air-gapped activation, the installation side (docs/AIR-GAPPED.md, the contract both clients follow).

The instance key (``instance-key.pem``), the activation request file, the license file's import
rules and the signed deactivation code. The client (``client.py``) keeps the request nonce, the
imported file, the local high-water mark and the local usage in its encrypted cache.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Mapping, Optional

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .cache import js_json, normalise_key, write_atomic
from .certificate import (
    LICENSE_FILE_TYP,
    CertificateClaims,
    b64u_encode,
    decode_header,
    iso,
    tokens_list,
    verify_certificate,
)
from .errors import CLIENT_CODES, LicenseError

__all__ = [
    "CLIENT_ID",
    "INSTANCE_KEY_FILE",
    "LICENSE_FILE_TYP",
    "build_activation_request",
    "deactivation_code",
    "key_prefix",
    "load_or_create_instance_key",
    "mask_key",
    "public_key_b64u",
    "request_proof",
    "verify_license_file",
]

CLIENT_ID = "ticketzero-license-client-py/1.0.0"
INSTANCE_KEY_FILE = "instance-key.pem"
REQUEST_TYPE = "ticketzero-activation-request"
LICENSE_FILE_TYPE = "ticketzero-license-file"
REQUEST_CONTEXT = "tz-activation-request:v1."
#: The proof key's PBKDF2 salt is this and the request's nonce.
PROOF_SALT_PREFIX = "tz-activation-request:v1:"
PROOF_KDF_ITERATIONS = 200_000
DEACTIVATION_CONTEXT = "tz-deactivation:v1."
DEACTIVATION_PREFIX = "TZDC1."
#: Allowed clock skew for a file's ``iat`` and the rollback check.
SKEW = timedelta(minutes=5)
MAX_LICENSE_FILE_BYTES = 256 * 1024


def mask_key(license_key: str) -> str:
    """The key masked as the portal masks it (``TZ-PRO-****-****-****-7K2Q``, ``TZ-TRIAL-****ABCD``)."""
    key = normalise_key(license_key)
    if key.startswith("TZ-TRIAL-"):
        return f"TZ-TRIAL-****{key[-4:]}"
    parts = key.split("-")
    if len(parts) != 6:
        return "TZ-****"
    return f"TZ-{parts[1]}-****-****-****-{parts[5]}"


_KEY_PREFIX = re.compile(r"^TZ-(STA|PRO|ENT|TRIAL)-")


def key_prefix(license_key: str) -> str:
    """The key's first two groups, for people (``TZ-PRO``, ``TZ-TRIAL``): the request's ``keyPrefix``.

    Never a random character of the key: a key of no known shape is just ``TZ``.
    """
    m = _KEY_PREFIX.match(normalise_key(license_key))
    return f"TZ-{m.group(1)}" if m else "TZ"


def request_proof(license_key: str, request: str, nonce: str) -> str:
    """``b64u(HMAC-SHA256(proofKey, 'tz-activation-request:v1.' + request))``, where ``proofKey`` =
    PBKDF2-HMAC-SHA256(normalised key, ``'tz-activation-request:v1:' + nonce``, 200 000, 32 bytes)."""
    proof_key = hashlib.pbkdf2_hmac(
        "sha256",
        normalise_key(license_key).encode("utf-8"),
        f"{PROOF_SALT_PREFIX}{nonce}".encode("utf-8"),
        PROOF_KDF_ITERATIONS,
        32,
    )
    message = f"{REQUEST_CONTEXT}{request}".encode("ascii")
    return b64u_encode(hmac.new(proof_key, message, hashlib.sha256).digest())


def load_or_create_instance_key(data_dir: str) -> Ed25519PrivateKey:
    """``data_dir/instance-key.pem`` (PKCS#8 PEM, 0600), generated on first use."""
    path = os.path.join(data_dir, INSTANCE_KEY_FILE)
    try:
        with open(path, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise LicenseError(CLIENT_CODES.CLIENT_ERROR, f"{path} is not an Ed25519 private key")
        return key
    except FileNotFoundError:
        pass
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    try:
        # Exclusive: two processes writing a first request at once keep one key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_instance_key(data_dir)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return key


def public_key_b64u(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b64u_encode(raw)


def default_instance_name() -> str:
    try:
        return socket.gethostname() or "installation"
    except OSError:
        return "installation"


def build_activation_request(
    *,
    license_key: str,
    instance_id: str,
    instance_name: str,
    instance_key: Ed25519PrivateKey,
    now: datetime,
) -> Dict[str, Any]:
    """The request file (a dict) and, in its payload, the nonce the license file must carry."""
    # 1-200 characters: trimmed; empty, the host name (or "installation"); a long one cut.
    name = ((instance_name or "").strip() or default_instance_name().strip() or "installation")[:200]
    payload = {
        "v": 1,
        "keyPrefix": key_prefix(license_key),
        "instanceId": instance_id,
        "instanceName": name,
        "publicKey": public_key_b64u(instance_key),
        "nonce": b64u_encode(os.urandom(16)),
        "createdAt": iso(now),
        "client": CLIENT_ID,
    }
    request = b64u_encode(js_json(payload).encode("utf-8"))
    message = f"{REQUEST_CONTEXT}{request}".encode("ascii")
    return {
        "type": REQUEST_TYPE,
        "v": 1,
        "request": request,
        "proof": request_proof(license_key, request, payload["nonce"]),
        "signature": b64u_encode(instance_key.sign(message)),
        "_payload": payload,
    }


def write_request_file(path: str, request: Mapping[str, Any]) -> None:
    """Writes the request whole or not at all; a failure raises OSError and leaves nothing behind."""
    public = {k: v for k, v in request.items() if not k.startswith("_")}
    write_atomic(path, json.dumps(public, indent=2) + "\n", 0o644)


@dataclass
class LicenseFile:
    text: str
    token: str
    key_set_tokens: list
    claims: CertificateClaims


def parse_license_file(text: str) -> Dict[str, Any]:
    """The file's JSON members, or LicenseError LICENSE_FILE_INVALID (rule 1, the envelope)."""
    if len(text.encode("utf-8")) > MAX_LICENSE_FILE_BYTES:
        raise _invalid("the file is too large to be a license file")
    try:
        value = json.loads(text)
    except ValueError as err:
        raise _invalid("the file is not JSON") from err
    if not isinstance(value, dict) or value.get("type") != LICENSE_FILE_TYPE or value.get("v") != 1:
        raise _invalid(f'the file is not a license file (type "{LICENSE_FILE_TYPE}", v 1)')
    if not isinstance(value.get("license"), str):
        raise _invalid("the file has no license token")
    return value


def _invalid(message: str) -> LicenseError:
    return LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, f"License file refused: {message}")


def verify_license_file(
    text: str,
    *,
    trusted: Mapping[str, Any],
    instance_id: str,
    public_key: str,
    expected_nonce: Optional[str],
    now: datetime,
    check_times: bool = True,
) -> LicenseFile:
    """Applies the import rules 1-5 (rules 4-5 optional when re-reading an imported file).

    ``trusted`` already includes keys proven by the file's ``keySetTokens``.
    """
    value = parse_license_file(text)
    token = value["license"]
    try:
        header = decode_header(token)
    except Exception as err:  # noqa: BLE001 - any malformed header is the same refusal
        raise _invalid("the license token is not a compact JWS") from err
    if header.get("typ") != LICENSE_FILE_TYP:
        raise _invalid(f'the token\'s typ is {header.get("typ")!r}, not "{LICENSE_FILE_TYP}" (an online certificate is not a license file)')
    if header.get("alg") != "EdDSA":
        raise _invalid(f"the token's alg is {header.get('alg')!r}, not EdDSA")
    check = verify_certificate(
        token, trusted, current=now, expected_instance_id=instance_id, what="license file", license_file=True
    )
    if check.outcome == "invalid" or check.claims is None:
        raise _invalid(check.message)
    claims = check.claims
    raw = claims.raw
    missing = [
        name
        for name, present in (
            ("limits", claims.limits is not None),
            ("lid", bool(claims.license_id)),
            ("jti", _nonempty(raw.get("jti"))),
            ("nonce", _nonempty(raw.get("nonce"))),
            ("ipk", _nonempty(raw.get("ipk"))),
            ("instanceId", bool(claims.instance_id)),
            ("iat", claims.issued_at is not None),
        )
        if not present
    ]
    if missing:
        raise _invalid(f"it lacks the claims {', '.join(missing)}")
    if raw.get("ipk") != public_key:
        raise _invalid("it is bound to another instance key (ipk is not this installation's public key)")
    assert claims.issued_at is not None
    if check_times:
        if expected_nonce is None or claims.raw.get("nonce") != expected_nonce:
            raise _invalid(
                "it answers no pending request of this installation (write a new request with offline-request)"
                if expected_nonce is None
                else "it answers another request than the last one this installation wrote"
            )
        if claims.expires_at <= now:
            raise _invalid(f"it expired at {iso(claims.expires_at)}")
        if claims.issued_at > now + SKEW:
            raise _invalid(f"it was issued in the future ({iso(claims.issued_at)}); check the system clock")
    return LicenseFile(text=text, token=token, key_set_tokens=list(tokens_list(value.get("keySetTokens"))), claims=claims)


def _nonempty(value: Any) -> bool:
    return isinstance(value, str) and len(value) > 0


def deactivation_code(
    *, license_id: str, instance_id: str, jti: str, nonce: str, instance_key: Ed25519PrivateKey, now: datetime
) -> str:
    """``TZDC1.<b64u(payload)>.<b64u(Ed25519 over 'tz-deactivation:v1.' + payload part)>``.

    ``nonce`` is the client's ``offlineRequestNonce`` when it deactivates (a renewal uploaded but
    not imported yet is then the portal's current file).
    """
    payload = {"v": 1, "lid": license_id, "instanceId": instance_id, "jti": jti, "nonce": nonce, "deactivatedAt": iso(now)}
    part = b64u_encode(js_json(payload).encode("utf-8"))
    signature = instance_key.sign(f"{DEACTIVATION_CONTEXT}{part}".encode("ascii"))
    return f"{DEACTIVATION_PREFIX}{part}.{b64u_encode(signature)}"
