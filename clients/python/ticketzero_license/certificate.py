"""Compact-JWS (EdDSA / Ed25519) verification with ``cryptography``: certificates, key-set proofs.

Mirrors ``lib/client/certificate.ts``: ``alg`` must be EdDSA, the ``kid`` must be trusted, a good
signature past ``exp`` is "expired" (with its claims), everything else is "invalid". Newer vendor
keys are learned only from ``keySetTokens`` that chain from the trust anchors (:func:`prove_keys`).
"""
from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

JsonWebKeySet = Dict[str, Any]

from .vendor_keys import VENDOR_JWKS  # noqa: E402,F401 - the shipped trust anchor (npm run client:pin-keys)

_EDDSA = ("EdDSA", "Ed25519")
#: The JWS ``typ`` of an air-gapped license file (docs/AIR-GAPPED.md): never an online certificate.
LICENSE_FILE_TYP = "tz-license-file+jwt"


# ---------------------------------------------------------------- encodings and times


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_B64U = re.compile(r"^[A-Za-z0-9_-]*$")


def b64u_decode(text: str) -> bytes:
    if not isinstance(text, str) or not _B64U.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def iso(when: datetime) -> str:
    """``Date.prototype.toISOString()``: UTC, milliseconds, ``Z``."""
    utc = when.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_iso(value: Any) -> Optional[datetime]:
    """An ISO 8601 time (``...Z`` or an offset) as an aware datetime; None when it is not one."""
    if not isinstance(value, str):
        return None
    m = _ISO.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = m.group(8)
    tz = timezone.utc
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError:
        return None


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


# ---------------------------------------------------------------- key sets


def jwks_kids(jwks: Optional[Mapping[str, Any]]) -> List[str]:
    keys = (jwks or {}).get("keys") or []
    return [k["kid"] for k in keys if isinstance(k, dict) and isinstance(k.get("kid"), str)]


def merge_jwks(*sets: Optional[Mapping[str, Any]]) -> JsonWebKeySet:
    """Merges key sets; the first set's key wins on a duplicate ``kid``."""
    seen = set()
    keys: List[Dict[str, Any]] = []
    for s in sets:
        for key in (s or {}).get("keys") or []:
            if not isinstance(key, dict):
                continue
            kid = key["kid"] if isinstance(key.get("kid"), str) else json.dumps(key, sort_keys=True)
            if kid in seen:
                continue
            seen.add(kid)
            keys.append(key)
    return {"keys": keys}


def sanitise_jwks(value: Any) -> Optional[JsonWebKeySet]:
    """Keeps only Ed25519 verification keys, never private material; None when there is none."""
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
        return None
    keys = []
    for k in value["keys"]:
        if isinstance(k, dict) and k.get("kty") == "OKP" and k.get("crv") == "Ed25519" and isinstance(k.get("x"), str):
            out: Dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": k["x"]}
            if isinstance(k.get("kid"), str):
                out["kid"] = k["kid"]
            out["alg"] = "EdDSA"
            out["use"] = "sig"
            keys.append(out)
    return {"keys": keys} if keys else None


def key_set_tokens_of(value: Any) -> List[str]:
    """The ``keySetTokens`` member of a ``GET /api/public-key`` answer (absent on older servers)."""
    tokens = value.get("keySetTokens") if isinstance(value, dict) else None
    return [t for t in tokens if isinstance(t, str)] if isinstance(tokens, list) else []


def _public_key(jwk: Mapping[str, Any]) -> Optional[Ed25519PublicKey]:
    try:
        raw = b64u_decode(str(jwk.get("x")))
        return Ed25519PublicKey.from_public_bytes(raw) if len(raw) == 32 else None
    except ValueError:
        return None


# ---------------------------------------------------------------- compact JWS


class JwsError(Exception):
    def __init__(self, message: str, untrusted_kid: Optional[str] = None) -> None:
        super().__init__(message)
        self.untrusted_kid = untrusted_kid


def decode_header(token: str) -> Dict[str, Any]:
    if not isinstance(token, str) or token.count(".") != 2:
        raise JwsError("not a compact JWS")
    try:
        header = json.loads(b64u_decode(token.split(".", 1)[0]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise JwsError("not a compact JWS") from err
    if not isinstance(header, dict):
        raise JwsError("not a compact JWS")
    return header


def verify_jws(token: str, jwks: Mapping[str, Any], what: str = "certificate") -> Tuple[Dict[str, Any], bytes]:
    """Verifies a compact EdDSA JWS against ``jwks``; returns (header, payload bytes) or raises JwsError."""
    header = decode_header(token)
    alg = header.get("alg")
    if alg not in _EDDSA:
        raise JwsError(f"{what} uses unexpected algorithm {alg}")
    if "crit" in header:
        raise JwsError(f"{what} has critical header parameters this client does not know")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    kids = jwks_kids(jwks)
    if not kids:
        raise JwsError("no trusted signing keys available", untrusted_kid=kid)
    if kid is None or kid not in kids:
        raise JwsError(
            f'{what} signed with key "{kid or "(no kid)"}", which is not trusted (trusted: {", ".join(kids)})',
            untrusted_kid=kid,
        )
    head, payload_part, signature_part = token.split(".")
    try:
        signature = b64u_decode(signature_part)
        payload = b64u_decode(payload_part)
    except ValueError as err:
        raise JwsError(f"{what} is not a compact JWS") from err
    for jwk in (jwks.get("keys") or []):
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            key = _public_key(jwk)
            if key is None:
                continue
            try:
                key.verify(signature, f"{head}.{payload_part}".encode("ascii"))
                return header, payload
            except InvalidSignature:
                continue
    raise JwsError(f"{what} signature does not verify")


# ---------------------------------------------------------------- certificates


@dataclass
class CertificateClaims:
    license_id: Optional[str]
    plan: Optional[str]
    features: List[str]
    limits: Optional[Dict[str, int]]
    instance_id: Optional[str]
    issued_at: Optional[datetime]
    expires_at: datetime
    kid: Optional[str]
    raw: Dict[str, Any] = field(default_factory=dict)


@dataclass
class CertificateCheck:
    #: "ok", "expired" (good signature past exp; claims set) or "invalid".
    outcome: str
    message: str = ""
    claims: Optional[CertificateClaims] = None
    untrusted_kid: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def _num(value: Any) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _limits(value: Any) -> Optional[Dict[str, int]]:
    if not isinstance(value, dict):
        return None
    out: Dict[str, int] = {}
    for name in ("maxClients", "maxTicketsPerMonth", "maxActivations"):
        n = _num(value.get(name))
        if n is None:
            return None
        out[name] = int(n)
    return out


def normalise_claims(payload: Mapping[str, Any], kid: Optional[str]) -> Optional[CertificateClaims]:
    """Lenient about names (``sub``/``lid``, ``iid``/``instanceId``, features as keys or objects)."""
    exp = _num(payload.get("exp"))
    if exp is None:
        return None
    iat = _num(payload.get("iat"))
    features: List[str] = []
    raw_features = payload.get("features")
    for f in raw_features if isinstance(raw_features, list) else []:
        if isinstance(f, str):
            features.append(f)
        elif isinstance(f, dict) and _str(f.get("key")):
            features.append(str(f["key"]))
    return CertificateClaims(
        license_id=_str(payload.get("lid")) or _str(payload.get("sub")),
        plan=_str(payload.get("plan")),
        features=features,
        limits=_limits(payload.get("limits")),
        instance_id=_str(payload.get("iid")) or _str(payload.get("instanceId")),
        issued_at=None if iat is None else from_epoch(iat),
        expires_at=from_epoch(exp),
        kid=kid,
        raw=dict(payload),
    )


def verify_certificate(
    token: str,
    jwks: Mapping[str, Any],
    *,
    current: datetime,
    expected_instance_id: Optional[str] = None,
    clock_tolerance: float = 0,
    what: str = "certificate",
    license_file: bool = False,
) -> CertificateCheck:
    """Verifies a compact JWS certificate at ``current`` (jose's rules for exp and nbf).

    An online certificate (the default) is refused when its ``typ`` is a license file's;
    ``license_file=True`` is for the air-gapped import, which checks the ``typ`` itself.
    """
    try:
        if not license_file and decode_header(token).get("typ") == LICENSE_FILE_TYP:
            raise JwsError(f'the token is a license file (typ "{LICENSE_FILE_TYP}"), not an online certificate')
        header, payload_bytes = verify_jws(token, jwks, what)
        payload = json.loads(payload_bytes.decode("utf-8"))
        if not isinstance(payload, dict):
            raise ValueError("claims are not a JSON object")
    except JwsError as err:
        return CertificateCheck("invalid", str(err), untrusted_kid=err.untrusted_kid)
    except (ValueError, UnicodeDecodeError) as err:
        return CertificateCheck("invalid", f"{what} refused: {err}")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    claims = normalise_claims(payload, kid)
    if claims is None:
        return CertificateCheck("invalid", f"{what} has no exp claim")
    if expected_instance_id is not None and claims.instance_id != expected_instance_id:
        message = (
            f"{what} names no instance (it must name this one, {expected_instance_id})"
            if claims.instance_id is None
            else f"{what} was issued to instance {claims.instance_id}, not {expected_instance_id}"
        )
        return CertificateCheck("invalid", message)
    now = math.floor(current.timestamp())
    nbf = _num(payload.get("nbf"))
    if nbf is not None and nbf > now + clock_tolerance:
        return CertificateCheck("invalid", f'{what} refused: "nbf" claim timestamp check failed')
    if claims.expires_at.timestamp() <= now - clock_tolerance:
        return CertificateCheck("expired", f"{what} expired at {iso(claims.expires_at)}", claims=claims)
    return CertificateCheck("ok", "", claims=claims)


def is_unknown_kid(check: CertificateCheck) -> bool:
    """Whether a failure was only "this kid is not trusted" (worth learning keys for)."""
    return check.outcome == "invalid" and check.untrusted_kid is not None


def verify_key_set_token(token: str, trusted: Mapping[str, Any]) -> Optional[JsonWebKeySet]:
    """The keys a key-set token vouches for, when a key in ``trusted`` signed it; else None."""
    try:
        _, payload = verify_jws(token, trusted, "key set")
        return sanitise_jwks(json.loads(payload.decode("utf-8")))
    except (JwsError, ValueError, UnicodeDecodeError):
        return None


def prove_keys(anchors: Mapping[str, Any], tokens: Iterable[str]) -> Tuple[JsonWebKeySet, List[str]]:
    """Key rotation: starting from ``anchors`` (never keys merely read from the cache), every token
    whose ``kid`` is trusted and whose signature verifies adds its keys, until nothing changes (so a
    chain A vouches for B, B for C is followed). Returns the trusted set and the useful proofs."""
    trusted = merge_jwks(anchors)
    pending: List[str] = []
    for t in tokens:
        if isinstance(t, str) and len(t) < 65_536 and t not in pending:
            pending.append(t)
    pending = pending[:64]
    proofs: List[str] = []
    progress = True
    while progress and pending:
        progress = False
        for token in list(pending):
            learned = verify_key_set_token(token, trusted)
            if learned is None:
                continue
            pending.remove(token)
            proofs.append(token)
            before = len(jwks_kids(trusted))
            trusted = merge_jwks(trusted, learned)
            if len(jwks_kids(trusted)) > before:
                progress = True
    return trusted, proofs


def sign_jws(header: Mapping[str, Any], payload: bytes, sign: Any) -> str:
    """A compact JWS from a header, payload bytes and a signing function (tests, forged caches)."""
    head = b64u_encode(json.dumps(header, separators=(",", ":")).encode("utf-8"))
    body = b64u_encode(payload)
    signature = sign(f"{head}.{body}".encode("ascii"))
    return f"{head}.{body}.{b64u_encode(signature)}"


def unverified_claims(token: str) -> Optional[Dict[str, Any]]:
    """The payload of a compact JWS without verifying it (for data already verified and authenticated)."""
    try:
        value = json.loads(b64u_decode(token.split(".")[1]).decode("utf-8"))
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def tokens_list(value: Any) -> Sequence[str]:
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []
