"""LicenseManager: the guide's ``license_manager`` for installations (Python twin of lib/client).

The state machine of the TypeScript client: online answers (activating automatically the first
time, waiting out an ACTIVATION_LIMIT_REACHED refusal), offline grace counted from the cached
certificate's signed ``iat``, a clock-rollback mark that only signed times raise, the deactivated
state, key rotation by ``keySetTokens`` proofs, and, air-gapped, answers from an imported license
file with no network at all (docs/AIR-GAPPED.md).

``validate_license``, ``check_feature_access``, ``get_usage_limits`` and ``get_license_status``
never raise; the calls that change something raise :class:`LicenseError`.
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from . import offline as _offline
from .cache import CacheData, CacheLoad, CacheStore, hash_key, normalise_key, resolve_instance_id
from .certificate import (
    VENDOR_JWKS,
    CertificateCheck,
    CertificateClaims,
    JsonWebKeySet,
    is_unknown_kid,
    iso,
    key_set_tokens_of,
    parse_iso,
    prove_keys,
    sanitise_jwks,
    unverified_claims,
    verify_certificate,
)
from .errors import CLIENT_CODES, LicenseError
from .features import FEATURE_NAMES, PLAN_NAMES
from .http import HttpClient, HttpError, UnreachableError

__all__ = ["LicenseManager", "normalise_feature", "feature_name", "has_feature", "status_indicator", "contract_code"]

DAY = timedelta(days=1)
ZERO_LIMITS = {"maxClients": 0, "maxTicketsPerMonth": 0, "maxActivations": 0}
#: Wait after ACTIVATION_LIMIT_REACHED when the server names no time (older servers).
DEFAULT_ACTIVATION_RETRY_SECONDS = 300
#: The local high-water mark of air-gapped operation is written at most this often.
LOCAL_HIGH_WATER_STEP = timedelta(minutes=1)

#: Codes of servers before issue 8, mapped to the contract's names.
LEGACY_CODES = {
    "EXPIRED": "LICENSE_EXPIRED",
    "SUPERSEDED": "LICENSE_SUPERSEDED",
    "SUSPENDED": "LICENSE_SUSPENDED",
    "REVOKED": "LICENSE_REVOKED",
    "NOT_FOUND": "LICENSE_NOT_FOUND",
    "NOT_ACTIVATED": "INSTANCE_NOT_ACTIVATED",
}
VALID_INDICATORS = {"valid", "expiring_soon", "trial"}
#: Not valid because time ran out: status ``expired``; every other refusal is ``invalid``.
EXPIRED_CODES = {
    "LICENSE_EXPIRED",
    "LICENSE_SUPERSEDED",
    CLIENT_CODES.OFFLINE_GRACE_EXPIRED,
    CLIENT_CODES.CERTIFICATE_EXPIRED,
    CLIENT_CODES.LICENSE_FILE_EXPIRED,
}


def contract_code(code: str) -> str:
    return LEGACY_CODES.get(code, code)


def status_indicator(
    valid: bool,
    code: str,
    given: Optional[str] = None,
    plan: Optional[str] = None,
    days_remaining: Optional[float] = None,
) -> str:
    """The ``status`` indicator that agrees with ``valid`` and ``code``."""
    if not valid:
        return "expired" if code in EXPIRED_CODES else "invalid"
    if code in ("SUPERSEDED_GRACE", "EXPIRING_SOON"):
        return "expiring_soon"
    if code == "TRIAL":
        return "trial"
    if code == "VALID":
        return "valid"
    if given in VALID_INDICATORS:
        return str(given)
    if plan == "trial":
        return "trial"
    return "expiring_soon" if days_remaining is not None and days_remaining <= 30 else "valid"


# ---------------------------------------------------------------- features


def normalise_feature(value: str) -> str:
    """"Advanced Dashboard", "advanced-dashboard", " ADVANCED_DASHBOARD " → "advanced_dashboard"."""
    return re.sub(r"[\s-]+", "_", value.strip().lower())


def feature_name(key: str) -> str:
    return FEATURE_NAMES.get(key, key)


def has_feature(features: List[Mapping[str, Any]], name_or_key: str) -> bool:
    """Whether ``name_or_key`` (key or display name, case/space/hyphen-insensitive) is granted."""
    if not isinstance(name_or_key, str):
        return False
    wanted = normalise_feature(name_or_key)
    if not wanted:
        return False
    for f in features:
        key = str(f.get("key", ""))
        name = f.get("name") or feature_name(key)
        if normalise_feature(key) == wanted or normalise_feature(str(name)) == wanted:
            return True
    return False


# ---------------------------------------------------------------- state


@dataclass
class _State:
    at: datetime
    result: Dict[str, Any]
    status: Dict[str, Any]
    features: List[Dict[str, str]] = field(default_factory=list)
    limits: Optional[Dict[str, int]] = None
    online: bool = False


def _is_status_body(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("valid"), bool) and isinstance(value.get("code"), str)


def _empty_status(result: Mapping[str, Any]) -> Dict[str, Any]:
    return {
        "valid": result["valid"],
        "code": result["code"],
        "status": status_indicator(result["valid"], result["code"]),
        "message": result["message"],
        "license": None,
        "limits": None,
        "usage": None,
        "features": [],
        "warnings": [],
        "upgrade": None,
        "activation": None,
        "certificate": None,
    }


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _env_flag(value: Optional[str]) -> bool:
    return value in ("1", "true")


JwksInput = Union[Mapping[str, Any], str, None]


def _load_jwks(value: JwksInput) -> Optional[Mapping[str, Any]]:
    if value is None or isinstance(value, Mapping):
        return value
    with open(value, "r", encoding="utf-8") as fh:
        loaded = json.load(fh)
    if not isinstance(loaded, dict):
        raise ValueError(f"{value}: not a JWKS")
    return loaded


class LicenseManager:
    """An installation's license: validation, feature gates, limits, usage, activation."""

    def __init__(
        self,
        server_url: Optional[str] = None,
        license_key: Optional[str] = None,
        data_dir: str = "./.tz-installation",
        instance_id: Optional[str] = None,
        instance_name: Optional[str] = None,
        jwks: JwksInput = None,
        trust_on_first_use: bool = False,
        cache_secret: Union[str, bytes, None] = None,
        grace_days: float = 7,
        timeout: float = 10.0,
        max_retries: int = 3,
        now: Optional[Callable[[], datetime]] = None,
        *,
        sleep: Optional[Callable[[float], None]] = None,
        random: Optional[Callable[[], float]] = None,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 8.0,
        max_retry_after: float = 30.0,
        clock_skew: float = 300.0,
        cache_ttl: float = 60.0,
        auto_activate: bool = True,
        require_certificate: bool = True,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        if server_url is not None and not re.match(r"^https?://", server_url):
            raise ValueError("LicenseManager: server_url must be an http(s) URL (or None: air-gapped)")
        if not isinstance(license_key, str) or not license_key.strip():
            raise ValueError("LicenseManager: license_key is required")
        if not data_dir:
            raise ValueError("LicenseManager: data_dir is required")
        self.server_url = server_url.rstrip("/") if server_url else None
        self.license_key = normalise_key(license_key)
        self._key_hash = hash_key(self.license_key)
        self.data_dir = data_dir
        os.makedirs(data_dir, mode=0o700, exist_ok=True)
        self.instance_id = resolve_instance_id(data_dir, instance_id)
        # Trimmed; empty (or not given), the host name (docs/AIR-GAPPED.md "Writing the request").
        self.instance_name = (instance_name or "").strip() or _offline.default_instance_name()
        self._store = CacheStore(data_dir, license_key=self.license_key, instance_id=self.instance_id, secret=cache_secret)
        self._now_fn: Callable[[], datetime] = now or (lambda: datetime.now(timezone.utc))
        self.grace = timedelta(days=grace_days)
        self.grace_days = grace_days
        self.skew = timedelta(seconds=clock_skew)
        self.cache_ttl = timedelta(seconds=cache_ttl)
        self.auto_activate = auto_activate
        self.require_certificate = require_certificate
        configured = _load_jwks(jwks)
        configured_jwks = sanitise_jwks(configured)
        if configured is not None and configured_jwks is None:
            raise ValueError("LicenseManager: jwks must contain at least one Ed25519 (OKP) key")
        self._tofu = bool(trust_on_first_use)
        if self._tofu and os.environ.get("NODE_ENV") == "production":
            raise ValueError(
                "LicenseManager: trust_on_first_use is refused when NODE_ENV=production; pass the vendor's keys as jwks"
            )
        #: The trust anchors: the configured key set, else the shipped one. Never the cache.
        self._anchors: Optional[JsonWebKeySet] = configured_jwks or sanitise_jwks(VENDOR_JWKS)
        if self._anchors is None and not self._tofu:
            raise ValueError(
                "LicenseManager: no trust anchor for license certificates: pass jwks (the vendor's JWKS, obtained over "
                "a channel you trust) or choose trust_on_first_use=True (development only)"
            )
        self._http = (
            HttpClient(
                self.server_url,
                timeout=timeout,
                max_retries=max_retries,
                base_delay=retry_base_delay,
                max_delay=retry_max_delay,
                max_retry_after=max_retry_after,
                **({"sleep": sleep} if sleep else {}),
                **({"random": random} if random else {}),
            )
            if self.server_url
            else None
        )
        self._extra_headers = dict(headers or {})
        self._state: Optional[_State] = None
        #: Clients this installation last reported (for servers whose status omits activation.clients).
        self._reported_clients: Optional[int] = None
        self._lock = threading.RLock()

    @classmethod
    def from_env(cls, **overrides: Any) -> "LicenseManager":
        """Configured from TZ_SERVER_URL, TZ_LICENSE_KEY, TZ_DATA_DIR, TZ_JWKS_FILE, TZ_TRUST_ON_FIRST_USE, TZ_CACHE_SECRET."""
        env = os.environ
        options: Dict[str, Any] = {
            "server_url": env.get("TZ_SERVER_URL") or None,
            "license_key": env.get("TZ_LICENSE_KEY"),
            "data_dir": env.get("TZ_DATA_DIR") or "./.tz-installation",
            "jwks": env.get("TZ_JWKS_FILE") or None,
            "trust_on_first_use": _env_flag(env.get("TZ_TRUST_ON_FIRST_USE")),
            "cache_secret": env.get("TZ_CACHE_SECRET") or None,
        }
        options.update(overrides)
        return cls(**options)

    # ------------------------------------------------------------ helpers

    def _now(self) -> datetime:
        return _utc(self._now_fn())

    def _fresh_cache(self) -> CacheData:
        return {
            "v": 2,
            "serverUrl": self.server_url or "",
            "keyHash": self._key_hash,
            "instanceId": self.instance_id,
            "activated": False,
            "deactivated": False,
            "status": None,
            "certificate": None,
            "keySetTokens": [],
            "tofuJwks": None,
            "signedHighWater": None,
            "activationRetryAt": None,
            "activationRefusal": None,
        }

    def _matching(self, load: CacheLoad) -> Optional[CacheData]:
        if load.kind != "ok" or load.data is None:
            return None
        d = load.data
        return d if d.get("keyHash") == self._key_hash and d.get("instanceId") == self.instance_id else None

    def _working_cache(self, load: CacheLoad) -> CacheData:
        m = self._matching(load)
        if m is None:
            return self._fresh_cache()
        # The server URL may change (new host name, TLS); the signature is what counts.
        merged = {**self._fresh_cache(), **m}
        if self.server_url:
            merged["serverUrl"] = self.server_url
        return merged

    def _save(self, cache: CacheData) -> Optional[str]:
        try:
            self._store.save(cache)
            return None
        except OSError as err:
            return f"could not write the license cache: {err}"

    def _auth_headers(self) -> Dict[str, str]:
        return {**self._extra_headers, "authorization": f"Bearer {self.license_key}", "x-instance-id": self.instance_id}

    def _http_or_raise(self) -> HttpClient:
        if self._http is None:
            raise UnreachableError(
                CLIENT_CODES.SERVER_UNREACHABLE, "No license server is configured (air-gapped)", retryable=False
            )
        return self._http

    def _trust_base(self, cache: CacheData) -> Optional[JsonWebKeySet]:
        base = self._anchors or (sanitise_jwks(cache.get("tofuJwks")) if self._tofu else None)
        return base if base and base.get("keys") else None

    def _trusted_keys(self, cache: CacheData, extra_tokens: Optional[List[str]] = None) -> Optional[JsonWebKeySet]:
        """The anchors plus keys proven by key-set tokens that chain from them (re-verified every time)."""
        base = self._trust_base(cache)
        if base is None:
            return None
        tokens = [t for t in cache.get("keySetTokens") or [] if isinstance(t, str)] + (extra_tokens or [])
        return prove_keys(base, tokens)[0]

    def _learn_keys(self, cache: CacheData) -> Optional[JsonWebKeySet]:
        """Fetches GET /api/public-key and keeps what the anchors prove (or pins it, TOFU)."""
        res = self._http_or_raise().request("GET", "/api/public-key", headers=self._extra_headers, idempotent=True)
        tokens = key_set_tokens_of(res.body)
        if self._anchors is None and self._tofu and not cache.get("tofuJwks"):
            published = sanitise_jwks(res.body)
            if published is None:
                raise HttpError(
                    CLIENT_CODES.CERTIFICATE_INVALID, "The server published no Ed25519 signing key", status=res.status
                )
            cache["tofuJwks"] = published  # trust on first use: explicitly chosen
        base = self._trust_base(cache)
        if base is None:
            return None
        jwks, proofs = prove_keys(base, list(cache.get("keySetTokens") or []) + tokens)
        cache["keySetTokens"] = proofs
        return jwks

    def _activation_wait(self, cache: CacheData, at: datetime) -> Optional[datetime]:
        if cache.get("activated") or not cache.get("activationRetryAt"):
            return None
        retry_at = parse_iso(cache.get("activationRetryAt"))
        return retry_at if retry_at is not None and at < retry_at else None

    def _remember_activation_refusal(self, cache: CacheData, err: LicenseError, at: datetime) -> None:
        seconds = err.retry_after_seconds if err.retry_after_seconds is not None else DEFAULT_ACTIVATION_RETRY_SECONDS
        cache["activated"] = False
        cache["activationRetryAt"] = iso(at + timedelta(seconds=seconds))
        cache["activationRefusal"] = {"code": err.code, "message": err.message}

    # ------------------------------------------------------------ requests

    def _post_activation(self) -> Tuple[Any, Optional[datetime]]:
        res = self._http_or_raise().request(
            "POST",
            "/admin/activate-license",
            headers=self._auth_headers(),
            body={"licenseKey": self.license_key, "instanceId": self.instance_id, "instanceName": self.instance_name},
            idempotent=True,  # the same instanceId again is idempotent on the server
        )
        return res.body, res.server_date

    def _get_status(self) -> Tuple[Any, Optional[datetime]]:
        res = self._http_or_raise().request("GET", "/api/license-status", headers=self._auth_headers(), idempotent=True)
        return res.body, res.server_date

    # ------------------------------------------------------------ state builders

    def _named_features(self, keys: List[str], status: Optional[Mapping[str, Any]]) -> List[Dict[str, str]]:
        names = {f.get("key"): f.get("name") for f in (status or {}).get("features") or [] if isinstance(f, dict)}
        return [{"key": k, "name": str(names.get(k) or feature_name(k))} for k in keys]

    def _make_state(
        self,
        result: Dict[str, Any],
        status: Optional[Dict[str, Any]],
        *,
        online: bool,
        features: Optional[List[Dict[str, str]]] = None,
        limits: Optional[Dict[str, int]] = None,
    ) -> _State:
        given = status if status is not None else _empty_status(result)
        lic = given.get("license") if isinstance(given.get("license"), dict) else None
        # One choke point: valid, code and status never contradict.
        body = {
            **given,
            "valid": result["valid"],
            "code": result["code"],
            "status": status_indicator(
                result["valid"],
                result["code"],
                given=given.get("status"),
                plan=lic.get("plan") if lic else None,
                days_remaining=lic.get("daysRemaining") if lic else None,
            ),
        }
        valid = bool(result["valid"])
        return _State(
            at=self._now(),
            result=result,
            status=body,
            features=(features if features is not None else list(body.get("features") or [])) if valid else [],
            limits=(limits if limits is not None else body.get("limits")) if valid else None,
            online=online,
        )

    def _invalid_from_server(
        self, code: str, message: str, status: Optional[Mapping[str, Any]], note: Optional[str]
    ) -> _State:
        result = {"valid": False, "code": code, "message": f"{message} ({note})" if note else message}
        body = (
            {**status, "valid": False, "code": code, "message": result["message"]}
            if status is not None
            else _empty_status(result)
        )
        return self._make_state(result, body, online=True)

    def _verify_with_learning(self, token: str, cache: CacheData, server_date: datetime) -> CertificateCheck:
        def check_with(trusted: JsonWebKeySet) -> CertificateCheck:
            return verify_certificate(
                token,
                trusted,
                current=server_date,
                expected_instance_id=self.instance_id,
                clock_tolerance=round(self.skew.total_seconds()),
            )

        trusted = self._trusted_keys(cache)
        check = check_with(trusted) if trusted else None
        if check is None or is_unknown_kid(check):
            # A key we do not know yet: learn it only from a key set that a trusted key signed.
            try:
                trusted = self._learn_keys(cache)
                if trusted:
                    check = check_with(trusted)
            except LicenseError:
                if check is None:
                    raise
        return check or CertificateCheck("invalid", "no trusted signing keys available")

    def _accept_server_status(
        self, raw: Any, server_date: datetime, cache: CacheData, cache_note: Optional[str]
    ) -> _State:
        if not _is_status_body(raw):
            return self._invalid_from_server(
                CLIENT_CODES.BAD_RESPONSE, "The server's status answer is malformed", None, cache_note
            )
        status: Dict[str, Any] = {**raw, "code": contract_code(raw["code"])}
        if not status["valid"]:
            # The server said no: forget the certificate so offline mode cannot resurrect it.
            cache["status"] = {**status, "certificate": None}
            cache["certificate"] = None
            note = self._save(cache) or cache_note
            return self._invalid_from_server(status["code"], status.get("message", ""), status, note)
        if "activation" in status and status["activation"] is None:
            cache["status"] = {**status, "certificate": None}
            cache["certificate"] = None
            cache["activated"] = False
            note = self._save(cache) or cache_note
            if cache.get("deactivated"):
                warning = next(
                    (w for w in status.get("warnings") or [] if w.get("code") == "INSTANCE_DEACTIVATED"), None
                )
                return self._invalid_from_server(
                    CLIENT_CODES.DEACTIVATED,
                    warning["message"] if warning else "This installation was deactivated; call activate() to use it again",
                    status,
                    note,
                )
            refusal = cache.get("activationRefusal")
            return self._invalid_from_server(
                CLIENT_CODES.INSTANCE_NOT_ACTIVATED,
                f"This installation is not activated: {refusal['message']}" if refusal else "This installation is not activated",
                status,
                note,
            )
        if not status.get("certificate"):
            if self.require_certificate:
                note = self._save(cache) or cache_note
                return self._invalid_from_server(
                    CLIENT_CODES.CERTIFICATE_MISSING,
                    "The server said the license is valid but sent no signed certificate",
                    status,
                    note,
                )
            cache["status"] = status
            note = self._save(cache) or cache_note
            result = {"valid": True, "code": status["code"], "message": _with_note(status.get("message", ""), note)}
            return self._make_state(result, status, online=True, features=status.get("features"), limits=status.get("limits"))
        check = self._verify_with_learning(status["certificate"], cache, server_date)
        if not check.ok or check.claims is None:
            # Do not replace a good cached certificate with a refused one.
            note = self._save(cache) or cache_note
            return self._invalid_from_server(
                CLIENT_CODES.CERTIFICATE_INVALID,
                f"The server's license certificate was refused: {check.message}",
                status,
                note,
            )
        claims = check.claims
        cache["status"] = status
        cache["certificate"] = status["certificate"]
        cache["activated"] = True
        cache["deactivated"] = False
        cache["activationRetryAt"] = None
        cache["activationRefusal"] = None
        # The rollback mark only moves forward, and only with a signed time.
        if claims.issued_at is not None:
            previous = parse_iso(cache.get("signedHighWater"))
            if previous is None or claims.issued_at > previous:
                cache["signedHighWater"] = iso(claims.issued_at)
        note = self._save(cache) or cache_note
        features = self._named_features(claims.features, status) if claims.features else list(status.get("features") or [])
        result = {"valid": True, "code": status["code"], "message": _with_note(status.get("message", ""), note)}
        return self._make_state(result, status, online=True, features=features, limits=claims.limits or status.get("limits"))

    def _offline_status(
        self,
        result: Mapping[str, Any],
        data: Optional[CacheData],
        claims: Optional[CertificateClaims],
        at: datetime,
        valid_until: Optional[datetime],
        signed_contact: Optional[datetime],
    ) -> Dict[str, Any]:
        cached = data.get("status") if data and isinstance(data.get("status"), dict) else None
        cached_license = cached.get("license") if cached and isinstance(cached.get("license"), dict) else None
        expires_at = (cached_license or {}).get("expiresAt") or (iso(claims.expires_at) if claims else None)
        expires = parse_iso(expires_at)
        days_remaining = max(0, math.ceil((expires - at) / DAY)) if expires else 0
        if cached_license is not None:
            lic: Optional[Dict[str, Any]] = {**cached_license, "daysRemaining": days_remaining}
        elif claims and expires_at:
            lic = {
                "key": "",
                "plan": claims.plan or "unknown",
                "planName": claims.plan or "unknown",
                "issuedAt": iso(claims.issued_at) if claims.issued_at else "",
                "expiresAt": expires_at,
                "daysRemaining": days_remaining,
            }
        else:
            lic = None
        plan = (claims.plan if claims else None) or (cached_license or {}).get("plan")
        features = self._named_features(claims.features, cached) if claims else list((cached or {}).get("features") or [])
        out: Dict[str, Any] = {
            "valid": result["valid"],
            "code": result["code"],
            "status": status_indicator(
                bool(result["valid"]),
                str(result["code"]),
                # A key in its upgrade grace stays "expiring_soon" offline, like online.
                given="expiring_soon" if cached and cached.get("code") == "SUPERSEDED_GRACE" else None,
                plan=plan,
                days_remaining=days_remaining,
            ),
            "message": result["message"],
            "license": lic,
            "limits": (claims.limits if claims else None) or (cached or {}).get("limits"),
            "usage": (cached or {}).get("usage"),
            "features": features,
            "warnings": list((cached or {}).get("warnings") or []) + [{"code": "OFFLINE", "message": result["message"]}],
            "upgrade": (cached or {}).get("upgrade"),
            "activation": (cached or {}).get("activation"),
        }
        if cached and "slots" in cached:
            out["slots"] = cached["slots"]
        if cached and "replacement" in cached:
            out["replacement"] = cached["replacement"]
        out["certificate"] = data.get("certificate") if data else None
        out["offline"] = True
        out["lastServerContact"] = iso(signed_contact) if signed_contact else None
        out["offlineValidUntil"] = iso(valid_until) if valid_until else None
        return out

    def _offline_state(self, load: CacheLoad, failure: LicenseError, at: datetime) -> _State:
        reason = failure.message

        def invalid(
            code: str,
            message: str,
            data: Optional[CacheData],
            claims: Optional[CertificateClaims],
            signed_contact: Optional[datetime] = None,
        ) -> _State:
            result = {"valid": False, "code": code, "message": message}
            return self._make_state(
                result, self._offline_status(result, data, claims, at, None, signed_contact), online=False
            )

        if load.kind == "invalid":
            return invalid(
                CLIENT_CODES.CACHE_INVALID, f"{reason}; the offline license cache is unusable: {load.message}", None, None
            )
        data = self._matching(load)
        if data is None:
            return invalid(
                CLIENT_CODES.NO_CACHE, f"{reason}; there is no offline license cache (the server must be reached once)", None, None
            )
        if not data.get("certificate"):
            if data.get("deactivated"):
                return invalid(CLIENT_CODES.DEACTIVATED, f"{reason}; this installation was deactivated", data, None)
            refusal = data.get("activationRefusal")
            if isinstance(refusal, dict):
                return invalid(
                    str(refusal.get("code")), f"{reason}; the server's last answer was: {refusal.get('message')}", data, None
                )
            st = data.get("status")
            if isinstance(st, dict) and not st.get("valid"):
                return invalid(
                    contract_code(str(st.get("code"))), f"{reason}; the server's last answer was: {st.get('message')}", data, None
                )
            return invalid(CLIENT_CODES.NO_CACHE, f"{reason}; no license certificate is cached", data, None)
        # Only keys proven from the anchors verify the cached certificate; keys in the cache alone never do.
        trusted = self._trusted_keys(data)
        check = (
            verify_certificate(data["certificate"], trusted, current=at, expected_instance_id=self.instance_id)
            if trusted
            else CertificateCheck("invalid", "no trusted signing keys available")
        )
        if check.outcome == "invalid" or check.claims is None:
            return invalid(CLIENT_CODES.CERTIFICATE_INVALID, f"{reason}; cached certificate refused: {check.message}", data, None)
        claims = check.claims
        if claims.issued_at is None:
            return invalid(
                CLIENT_CODES.CERTIFICATE_INVALID, f"{reason}; cached certificate refused: it carries no signed iat", data, None
            )
        # Times compared: the signed iat (and the newest signed iat seen), never local time.
        signed_iat = claims.issued_at
        stored = parse_iso(data.get("signedHighWater"))
        high_water = max(stored, signed_iat) if stored else signed_iat
        since = f"offline since {iso(signed_iat)}"
        if at < high_water - self.skew:
            return invalid(
                CLIENT_CODES.CLOCK_ROLLBACK,
                f"{reason}; the system clock ({iso(at)}) is earlier than the last time seen ({iso(high_water)}, signed by "
                "the server): refusing offline operation until the server is reachable",
                data,
                None,
                signed_iat,
            )
        if check.outcome == "expired":
            return invalid(
                CLIENT_CODES.CERTIFICATE_EXPIRED,
                f"{reason}; {since}; the license certificate expired at {iso(claims.expires_at)}",
                data,
                claims,
                signed_iat,
            )
        grace_end = signed_iat + self.grace
        if at > grace_end:
            return invalid(
                CLIENT_CODES.OFFLINE_GRACE_EXPIRED,
                f"{reason}; {since}; the offline grace period of {_days(self.grace_days)} days ended {iso(grace_end)}",
                data,
                claims,
                signed_iat,
            )
        valid_until = min(claims.expires_at, grace_end)
        hours_left = math.floor((valid_until - at).total_seconds() / 3600)
        result = {
            "valid": True,
            "code": CLIENT_CODES.OFFLINE_VALID,
            "message": f"{reason}; working offline from the cached license certificate ({since}; valid offline until "
            f"{iso(valid_until)}, {hours_left} h left)",
        }
        # Nothing is written here: the local clock never raises the rollback mark.
        cached_status = data.get("status") if isinstance(data.get("status"), dict) else {}
        features = self._named_features(claims.features, cached_status) if claims.features else list(cached_status.get("features") or [])
        return self._make_state(
            result,
            self._offline_status(result, data, claims, at, valid_until, signed_iat),
            online=False,
            features=features,
            limits=claims.limits or cached_status.get("limits"),
        )

    # ------------------------------------------------------------ air-gapped state

    def _license_file(self, cache: CacheData, at: datetime) -> "_offline.LicenseFile":
        """The imported file, re-verified (signature, instance, instance key) at every use."""
        text = cache.get("licenseFile")
        if not isinstance(text, str):
            raise LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, "No license file is imported")
        value = _offline.parse_license_file(text)
        trusted = self._trusted_keys(cache, list(_offline.tokens_list(value.get("keySetTokens"))))
        if trusted is None:
            raise LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, "License file refused: no trusted signing keys available")
        key = _offline.load_or_create_instance_key(self.data_dir)
        return _offline.verify_license_file(
            text,
            trusted=trusted,
            instance_id=self.instance_id,
            public_key=_offline.public_key_b64u(key),
            expected_nonce=None,
            now=at,
            check_times=False,
        )

    def _file_state(self, cache: CacheData, at: datetime) -> _State:
        """Answers from the imported license file: no network call at all."""
        try:
            lf = self._license_file(cache, at)
        except LicenseError as err:
            result = {"valid": False, "code": err.code, "message": err.message}
            return self._make_state(result, {**_empty_status(result), "airGapped": True}, online=False)
        claims = lf.claims
        assert claims.issued_at is not None
        marks = [claims.issued_at] + [
            t for t in (parse_iso(cache.get("signedHighWater")), parse_iso(cache.get("localHighWater"))) if t
        ]
        high_water = max(marks)
        period = at.strftime("%Y-%m")
        local = cache.get("localUsage") if isinstance(cache.get("localUsage"), dict) else None
        # A new UTC month starts from zero tickets and zero clients.
        this_month = local if local and local.get("period") == period else None
        tickets = int(this_month.get("tickets") or 0) if this_month else 0
        clients = int(this_month.get("clients") or 0) if this_month else 0
        limits = claims.limits or dict(ZERO_LIMITS)
        license_expires = parse_iso(claims.raw.get("licenseExpiresAt")) or claims.expires_at
        days_remaining = max(0, math.ceil((license_expires - at) / DAY))
        plan = claims.plan or "unknown"
        base: Dict[str, Any] = {
            "license": {
                "key": _offline.mask_key(self.license_key),
                "plan": plan,
                "planName": PLAN_NAMES.get(plan, plan),
                "issuedAt": iso(claims.issued_at),
                "expiresAt": iso(license_expires),
                "daysRemaining": days_remaining,
            },
            "limits": limits,
            "usage": {"period": period, "ticketsThisMonth": tickets, "clients": clients, "activations": 1},
            "features": self._named_features(claims.features, None),
            "upgrade": None,
            "activation": {"instanceId": self.instance_id, "activatedAt": iso(claims.issued_at), "clients": clients},
            "certificate": None,
            "offline": True,
            "airGapped": True,
            "lastServerContact": None,
            "offlineValidUntil": iso(claims.expires_at),
        }
        if at < high_water - self.skew:
            result = {
                "valid": False,
                "code": CLIENT_CODES.CLOCK_ROLLBACK,
                "message": f"The system clock ({iso(at)}) is earlier than the last time seen ({iso(high_water)}): "
                "refusing to answer from the license file until the clock is corrected",
            }
        elif claims.expires_at <= at:
            result = {
                "valid": False,
                "code": CLIENT_CODES.LICENSE_FILE_EXPIRED,
                "message": f"The license file expired at {iso(claims.expires_at)}: import a renewed file",
            }
        else:
            result = {
                "valid": True,
                "code": CLIENT_CODES.LICENSE_FILE_VALID,
                "message": f"Air-gapped: licensed by the imported license file until {iso(claims.expires_at)}",
            }
            # The local high-water mark: raised at most once a minute (a write per check would wear the disk).
            last = parse_iso(cache.get("localHighWater"))
            if last is None or at - last >= LOCAL_HIGH_WATER_STEP:
                if last is None or at > last:
                    cache["localHighWater"] = iso(at)
                    self._save(cache)
        soon = min(claims.expires_at, license_expires) - at <= timedelta(days=30)
        given = "trial" if plan == "trial" else ("expiring_soon" if soon else "valid")
        status = {
            "valid": result["valid"],
            "code": result["code"],
            "status": given,
            "message": result["message"],
            **base,
            "warnings": [{"code": CLIENT_CODES.AIR_GAPPED, "message": "Licensed by an imported license file (no server)"}],
        }
        return self._make_state(result, status, online=False, features=base["features"], limits=limits)

    # ------------------------------------------------------------ refresh

    def _waiting_state(
        self, cache: CacheData, until: datetime, status: Optional[Mapping[str, Any]], note: Optional[str]
    ) -> _State:
        refusal = cache.get("activationRefusal") or {
            "code": "ACTIVATION_LIMIT_REACHED",
            "message": "All activations of this license are in use",
        }
        return self._invalid_from_server(
            str(refusal["code"]),
            f"{refusal['message']} (next automatic activation attempt after {iso(until)})",
            status,
            note,
        )

    def _do_refresh(self) -> _State:
        at = self._now()
        load = self._store.load()
        cache = self._working_cache(load)
        cache_note = f"previous cache discarded: {load.message}" if load.kind == "invalid" else None
        if self._matching(load) is not None and cache.get("licenseFile"):
            return self._file_state(cache, at)
        try:
            raw: Any
            server_date: Optional[datetime]
            if not cache.get("activated") and not cache.get("deactivated") and self.auto_activate:
                wait = self._activation_wait(cache, at)
                if wait:
                    return self._waiting_state(cache, wait, None, cache_note)
                body, server_date = self._post_activation()
                cache["activated"] = True
                raw = body.get("license") if isinstance(body, dict) else None
                if not _is_status_body(raw) or not raw.get("certificate"):
                    raw, date2 = self._get_status()
                    server_date = date2 or server_date
            else:
                raw, server_date = self._get_status()
                # Deactivated on purpose by the account admin or staff: stays off until activate() is called.
                if (
                    _is_status_body(raw)
                    and "activation" in raw
                    and raw["activation"] is None
                    and any(w.get("code") == "INSTANCE_DEACTIVATED" for w in raw.get("warnings") or [] if isinstance(w, dict))
                ):
                    cache["deactivated"] = True
                if (
                    _is_status_body(raw)
                    and raw["valid"]
                    and "activation" in raw
                    and raw["activation"] is None
                    and not cache.get("deactivated")
                    and self.auto_activate
                ):
                    # Our slot was freed elsewhere (e.g. by the heartbeat): claim it again (not before the retry time).
                    wait = self._activation_wait(cache, at)
                    if wait:
                        return self._waiting_state(cache, wait, {**raw, "code": contract_code(raw["code"])}, cache_note)
                    body, date2 = self._post_activation()
                    cache["activated"] = True
                    lic = body.get("license") if isinstance(body, dict) else None
                    if _is_status_body(lic) and lic.get("certificate"):
                        raw, server_date = lic, date2 or server_date
                    else:
                        raw, date3 = self._get_status()
                        server_date = date3 or server_date
            return self._accept_server_status(raw, server_date or at, cache, cache_note)
        except UnreachableError as err:
            return self._offline_state(load, err, at)
        except LicenseError as err:
            if err.code == CLIENT_CODES.BAD_RESPONSE:
                # Not the server speaking (a proxy's page, a wrong URL): keep the cache as it is.
                result = {"valid": False, "code": err.code, "message": err.message}
                return self._make_state(result, None, online=True)
            # The server refused (not found, revoked, activation limit ...): drop the certificate.
            cache["certificate"] = None
            cache["status"] = None
            message = err.message
            if err.code == "ACTIVATION_LIMIT_REACHED":
                self._remember_activation_refusal(cache, err, at)
                message = f"{err.message} (next automatic activation attempt after {cache['activationRetryAt']})"
            note = self._save(cache) or cache_note
            return self._invalid_from_server(contract_code(err.code), message, None, note)

    def _refresh(self) -> _State:
        with self._lock:
            try:
                state = self._do_refresh()
            except Exception as err:  # noqa: BLE001 - the never-raising calls answer CLIENT_ERROR instead
                result = {"valid": False, "code": CLIENT_CODES.CLIENT_ERROR, "message": f"License check failed: {err}"}
                state = self._make_state(result, None, online=False)
            self._state = state
            return state

    def _current(self) -> _State:
        with self._lock:
            t = self._now()
            s = self._state
            if s is not None and s.at <= t and t - s.at < self.cache_ttl:
                return s
            return self._refresh()

    # ------------------------------------------------------------ the guide's API

    def validate(self) -> Dict[str, Any]:
        """``{'valid', 'message', 'code'}``; never raises."""
        return dict(self._refresh().result)

    def validate_license(self) -> Tuple[bool, str]:
        """The guide's ``(is_valid, message)``; never raises."""
        r = self._refresh().result
        return bool(r["valid"]), str(r["message"])

    def check_feature_access(self, name_or_key: str) -> bool:
        """Whether the license grants a feature (key or display name, case/space/hyphen-insensitive)."""
        try:
            s = self._current()
            return bool(s.result["valid"]) and has_feature(s.features, name_or_key)
        except Exception:  # noqa: BLE001 - never raises
            return False

    def get_usage_limits(self) -> Dict[str, int]:
        """``{'max_clients', 'max_tickets_per_month', 'max_activations'}``; zeros when not valid."""
        try:
            s = self._current()
            limits = s.limits if s.result["valid"] and s.limits else ZERO_LIMITS
        except Exception:  # noqa: BLE001 - never raises
            limits = ZERO_LIMITS
        return {
            "max_clients": int(limits.get("maxClients", 0)),
            "max_tickets_per_month": int(limits.get("maxTicketsPerMonth", 0)),
            "max_activations": int(limits.get("maxActivations", 0)),
        }

    def get_license_status(self) -> Dict[str, Any]:
        """The server's status body (camelCase members), or one derived offline with ``offline: True``."""
        return copy.deepcopy(self._refresh().status)

    def activate(self) -> Dict[str, Any]:
        """Activates this installation (idempotent; an operator's action: always asks the server)."""
        with self._lock:
            at = self._now()
            cache = self._working_cache(self._store.load())
            try:
                body, server_date = self._post_activation()
            except LicenseError as err:
                if err.code == "ACTIVATION_LIMIT_REACHED":
                    self._remember_activation_refusal(cache, err, at)
                    self._save(cache)
                    self._state = None
                raise
            cache["activated"] = True
            cache["deactivated"] = False
            raw = body.get("license") if isinstance(body, dict) else None
            if not _is_status_body(raw) or not raw.get("certificate"):
                raw, date2 = self._get_status()
                server_date = date2 or server_date
            self._state = self._accept_server_status(raw, server_date or at, cache, None)
            return {
                "activation": body.get("activation") if isinstance(body, dict) else None,
                "license": raw if _is_status_body(raw) else None,
            }

    def deactivate(self) -> Any:
        """Frees this installation's activation slot and forgets the certificate."""
        with self._lock:
            res = self._http_or_raise().request(
                "POST", "/api/deactivate", headers=self._auth_headers(), body={"instanceId": self.instance_id}, idempotent=True
            )
            cache = self._working_cache(self._store.load())
            cache["activated"] = False
            cache["deactivated"] = True
            cache["certificate"] = None
            if isinstance(cache.get("status"), dict):
                cache["status"] = {**cache["status"], "certificate": None, "activation": None}
            self._save(cache)
            self._state = None
            return res.body

    def record_tickets(self, tickets: int, clients: Optional[int] = None) -> Dict[str, Any]:
        """Reserves ``tickets`` this month (and reports ``clients``): ``{'usage', 'remaining'}``.

        Over the limit: LicenseError USAGE_LIMIT_EXCEEDED (or CLIENT_LIMIT_EXCEEDED), nothing counted.
        Air-gapped, counted locally in the cache against the file's limits.
        """
        if isinstance(tickets, bool) or not isinstance(tickets, int) or tickets < 0:
            raise LicenseError(CLIENT_CODES.INVALID_INPUT, "tickets must be a non-negative integer")
        if clients is not None and (isinstance(clients, bool) or not isinstance(clients, int) or clients < 0):
            raise LicenseError(CLIENT_CODES.INVALID_INPUT, "clients must be a non-negative integer")
        with self._lock:
            s = self._current()
            cache = self._working_cache(self._store.load())
            if cache.get("licenseFile"):
                return self._record_locally(s, cache, tickets, clients)
            if not s.result["valid"] and s.online:
                raise LicenseError(s.result["code"], s.result["message"])
            body: Dict[str, int] = {"tickets": tickets}
            if clients is not None:
                body["clients"] = clients
            try:
                res = self._http_or_raise().request(
                    "POST",
                    "/api/usage",
                    headers=self._auth_headers(),
                    body=body,
                    idempotent=False,  # a lost answer may still have counted: never repeat blindly
                )
            except LicenseError as err:
                if err.code == CLIENT_CODES.INSTANCE_NOT_ACTIVATED:
                    # The server no longer counts this installation as activated: re-check (and re-activate) next time.
                    if not cache.get("deactivated"):
                        cache["activated"] = False
                        self._save(cache)
                    self._state = None
                raise
            answer = res.body if isinstance(res.body, dict) else {}
            usage = answer.get("usage")
            if clients is not None:
                self._reported_clients = clients
            if self._state is not None:
                st = dict(self._state.status)
                if usage:
                    st["usage"] = usage
                activation = st.get("activation")
                if clients is not None and isinstance(activation, dict):
                    # What this installation reported is its share of usage.clients (assert_within_limits).
                    st["activation"] = {**activation, "clients": clients}
                self._state.status = st
            remaining = answer.get("remaining")
            return {"usage": usage, "remaining": remaining if isinstance(remaining, int) else None}

    def _record_locally(
        self, s: _State, cache: CacheData, tickets: int, clients: Optional[int]
    ) -> Dict[str, Any]:
        if not s.result["valid"]:
            raise LicenseError(s.result["code"], s.result["message"])
        limits = s.limits or ZERO_LIMITS
        period = self._now().strftime("%Y-%m")
        local = cache.get("localUsage") if isinstance(cache.get("localUsage"), dict) else None
        # A new UTC month starts from zero tickets and zero clients (as the TypeScript client).
        this_month = local if local and local.get("period") == period else None
        used = int(this_month.get("tickets") or 0) if this_month else 0
        known_clients = int(this_month.get("clients") or 0) if this_month else 0
        # Clients first, then tickets; a refusal changes nothing.
        if clients is not None and clients > limits["maxClients"]:
            raise LicenseError(
                CLIENT_CODES.CLIENT_LIMIT_EXCEEDED,
                f"Client limit exceeded: {clients} clients, the license allows {limits['maxClients']}",
            )
        if used + tickets > limits["maxTicketsPerMonth"]:
            raise LicenseError(
                CLIENT_CODES.USAGE_LIMIT_EXCEEDED,
                f"Monthly ticket limit exceeded: {tickets} tickets, {max(0, limits['maxTicketsPerMonth'] - used)} "
                f"of {limits['maxTicketsPerMonth']} left this month",
            )
        new_clients = clients if clients is not None else known_clients
        cache["localUsage"] = {"period": period, "tickets": used + tickets, "clients": new_clients}
        note = self._save(cache)
        if note:
            raise LicenseError(CLIENT_CODES.CLIENT_ERROR, note)
        self._state = None
        usage = {"period": period, "ticketsThisMonth": used + tickets, "clients": new_clients, "activations": 1}
        return {"usage": usage, "remaining": limits["maxTicketsPerMonth"] - used - tickets}

    def assert_within_limits(self, clients: Optional[int] = None, tickets: Optional[int] = None) -> Dict[str, int]:
        """Raises LicenseError when the license is invalid or a count is over what REMAINS."""
        s = self._current()
        if not s.result["valid"]:
            raise LicenseError(s.result["code"], s.result["message"])
        limits = s.limits or ZERO_LIMITS
        usage = s.status.get("usage") if isinstance(s.status.get("usage"), dict) else None
        activation = s.status.get("activation") if isinstance(s.status.get("activation"), dict) else None
        own = activation.get("clients") if activation and isinstance(activation.get("clients"), int) else None
        own_clients = own if own is not None else (self._reported_clients or 0)
        other_clients = max(0, int((usage or {}).get("clients") or 0) - own_clients)
        clients_left = max(0, limits["maxClients"] - other_clients)
        # Tickets of an earlier month (a cached answer across a month boundary) no longer count.
        period = self._now().strftime("%Y-%m")
        tickets_used = int(usage.get("ticketsThisMonth") or 0) if usage and usage.get("period") == period else 0
        tickets_left = max(0, limits["maxTicketsPerMonth"] - tickets_used)
        if clients is not None and clients > clients_left:
            extra = f" and its other installations report {other_clients} ({clients_left} left here)" if other_clients else ""
            raise LicenseError(
                CLIENT_CODES.CLIENT_LIMIT_EXCEEDED,
                f"Client limit exceeded: {clients} clients on this installation, the license allows {limits['maxClients']}{extra}",
            )
        if tickets is not None and tickets > tickets_left:
            raise LicenseError(
                CLIENT_CODES.USAGE_LIMIT_EXCEEDED,
                f"Monthly ticket limit exceeded: {tickets} tickets, {tickets_left} of {limits['maxTicketsPerMonth']} left this month",
            )
        return {
            "max_clients": limits["maxClients"],
            "max_tickets_per_month": limits["maxTicketsPerMonth"],
            "max_activations": limits["maxActivations"],
        }

    # ------------------------------------------------------------ air-gapped (docs/AIR-GAPPED.md)

    def write_activation_request(self, path: Optional[str] = None) -> str:
        """Writes an activation request (to ``path`` when given) and returns its JSON text.

        Remembers its nonce in the cache: only a license file answering this request imports. The
        file is written first: when it cannot be, OSError is raised and nothing changed.
        """
        with self._lock:
            key = _offline.load_or_create_instance_key(self.data_dir)
            request = _offline.build_activation_request(
                license_key=self.license_key,
                instance_id=self.instance_id,
                instance_name=self.instance_name,
                instance_key=key,
                now=self._now(),
            )
            # The file first, then its nonce (docs/AIR-GAPPED.md "Writing the request").
            if path is not None:
                _offline.write_request_file(path, request)
            cache = self._working_cache(self._store.load())
            cache["offlineRequestNonce"] = request["_payload"]["nonce"]
            note = self._save(cache)
            if note:
                # Nor does one whose nonce could not be kept: no file is left that could never import.
                if path is not None:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
                raise LicenseError(CLIENT_CODES.CLIENT_ERROR, note)
            return json.dumps({k: v for k, v in request.items() if not k.startswith("_")}, indent=2) + "\n"

    def import_license_file(self, path_or_text: str) -> Dict[str, Any]:
        """Imports a license file (a path, or the file's JSON text); returns the status it gives.

        Refused with LicenseError LICENSE_FILE_INVALID (keeping whatever was there) unless every
        import rule of docs/AIR-GAPPED.md holds.
        """
        text = path_or_text
        if not path_or_text.lstrip().startswith("{"):
            try:
                with open(path_or_text, "r", encoding="utf-8") as fh:
                    text = fh.read()
            except (OSError, UnicodeDecodeError) as err:
                raise LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, f"Cannot read {path_or_text}: {err}") from err
        with self._lock:
            at = self._now()
            cache = self._working_cache(self._store.load())
            value = _offline.parse_license_file(text)
            trusted = self._trusted_keys(cache, list(_offline.tokens_list(value.get("keySetTokens"))))
            if trusted is None:
                raise LicenseError(
                    CLIENT_CODES.LICENSE_FILE_INVALID, "License file refused: no trusted signing keys (pass jwks)"
                )
            key = _offline.load_or_create_instance_key(self.data_dir)
            _offline.verify_license_file(
                text,
                trusted=trusted,
                instance_id=self.instance_id,
                public_key=_offline.public_key_b64u(key),
                expected_nonce=cache.get("offlineRequestNonce") if isinstance(cache.get("offlineRequestNonce"), str) else None,
                now=at,
            )
            cache["licenseFile"] = text.strip()
            cache.setdefault("localHighWater", None)
            cache.setdefault("localUsage", None)
            note = self._save(cache)
            if note:
                raise LicenseError(CLIENT_CODES.CLIENT_ERROR, note)
            self._state = None
            return copy.deepcopy(self._refresh().status)

    def deactivate_offline(self) -> str:
        """Deletes the imported license file and returns the signed ``TZDC1.`` deactivation code."""
        with self._lock:
            cache = self._working_cache(self._store.load())
            text = cache.get("licenseFile")
            claims = None
            if isinstance(text, str):
                try:
                    claims = unverified_claims(_offline.parse_license_file(text)["license"])
                except LicenseError:
                    claims = None
            if not claims or not isinstance(claims.get("jti"), str):
                raise LicenseError(CLIENT_CODES.NO_LICENSE_FILE, "No license file is imported: nothing to deactivate")
            lid = claims.get("lid") or claims.get("sub")
            # The newest request's nonce (a renewal uploaded, not imported yet); the file's own otherwise.
            pending = cache.get("offlineRequestNonce")
            nonce = pending if isinstance(pending, str) and pending else claims.get("nonce")
            if not isinstance(nonce, str) or not nonce:
                raise LicenseError(CLIENT_CODES.LICENSE_FILE_INVALID, "The imported license file names no request nonce")
            code = _offline.deactivation_code(
                license_id=str(lid),
                instance_id=self.instance_id,
                jti=claims["jti"],
                nonce=nonce,
                instance_key=_offline.load_or_create_instance_key(self.data_dir),
                now=self._now(),
            )
            cache["licenseFile"] = None
            cache["offlineRequestNonce"] = None
            note = self._save(cache)
            if note:
                raise LicenseError(CLIENT_CODES.CLIENT_ERROR, note)
            self._state = None
            return code


def _with_note(message: str, note: Optional[str]) -> str:
    return f"{message} ({note})" if note else message


def _days(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class _LazyLicenseManager:
    """The module-level ``license_manager``: configured from the environment at first use."""

    def __init__(self) -> None:
        self._instance: Optional[LicenseManager] = None
        self._lock = threading.Lock()

    def _get(self) -> LicenseManager:
        with self._lock:
            if self._instance is None:
                self._instance = LicenseManager.from_env()
            return self._instance

    def _config_error(self, err: Exception) -> Dict[str, Any]:
        return {"valid": False, "code": CLIENT_CODES.CLIENT_ERROR, "message": f"License client not configured: {err}"}

    def reset(self) -> None:
        """Forgets the configured instance (the environment is read again at next use)."""
        with self._lock:
            self._instance = None

    def validate_license(self) -> Tuple[bool, str]:
        try:
            return self._get().validate_license()
        except (ValueError, OSError) as err:
            return False, self._config_error(err)["message"]

    def validate(self) -> Dict[str, Any]:
        try:
            return self._get().validate()
        except (ValueError, OSError) as err:
            return self._config_error(err)

    def check_feature_access(self, name_or_key: str) -> bool:
        try:
            return self._get().check_feature_access(name_or_key)
        except (ValueError, OSError):
            return False

    def get_usage_limits(self) -> Dict[str, int]:
        try:
            return self._get().get_usage_limits()
        except (ValueError, OSError):
            return {"max_clients": 0, "max_tickets_per_month": 0, "max_activations": 0}

    def get_license_status(self) -> Dict[str, Any]:
        try:
            return self._get().get_license_status()
        except (ValueError, OSError) as err:
            return _empty_status(self._config_error(err))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


license_manager = _LazyLicenseManager()
