"""LicenseError and the client's own codes (the same as the TypeScript client's CLIENT_CODES)."""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional


class LicenseError(Exception):
    """Raised for exceeded limits, refused requests and an unreachable server.

    ``code`` is stable and machine-readable: a code from the server's ``{"error": {"code"}}`` body
    (``USAGE_LIMIT_EXCEEDED``, ``ACTIVATION_LIMIT_REACHED`` ...) or one of :data:`CLIENT_CODES`.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: Optional[int] = None,
        retryable: bool = False,
        details: Optional[Mapping[str, Any]] = None,
        retry_after_seconds: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: HTTP status of the server's answer, when there was one.
        self.status = status
        #: True when trying again later may succeed (server unreachable, rate limited).
        self.retryable = retryable
        #: The server's ``error.details`` (e.g. ``nextSlotFreesAt``, ``swapsLeft``).
        self.details: Optional[Dict[str, Any]] = dict(details) if details is not None else None
        #: Seconds the server asked to wait (``Retry-After`` or ``details.retryAfterSeconds``).
        self.retry_after_seconds = retry_after_seconds

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"LicenseError(code={self.code!r}, message={self.message!r}, status={self.status!r})"


class _ClientCodes:
    """Codes the client produces itself (the server's codes pass through unchanged)."""

    #: Server unreachable; answered from the cached certificate, inside the grace period.
    OFFLINE_VALID = "OFFLINE_VALID"
    #: Server unreachable for longer than ``grace_days`` since the newest certificate's signed ``iat``.
    OFFLINE_GRACE_EXPIRED = "OFFLINE_GRACE_EXPIRED"
    #: Server unreachable and the cached certificate's ``exp`` has passed.
    CERTIFICATE_EXPIRED = "CERTIFICATE_EXPIRED"
    #: Certificate signature does not verify, its ``kid`` is not trusted, or its claims don't match.
    CERTIFICATE_INVALID = "CERTIFICATE_INVALID"
    #: Server said the license is valid but sent no certificate.
    CERTIFICATE_MISSING = "CERTIFICATE_MISSING"
    #: Server unreachable and there is no usable cache.
    NO_CACHE = "NO_CACHE"
    #: ``license.json`` could not be decrypted/authenticated (tampered, copied, another key or instance).
    CACHE_INVALID = "CACHE_INVALID"
    #: The local clock is earlier than the newest signed time seen (beyond the allowed skew).
    CLOCK_ROLLBACK = "CLOCK_ROLLBACK"
    #: The server says the license is fine but this installation is not activated.
    INSTANCE_NOT_ACTIVATED = "INSTANCE_NOT_ACTIVATED"
    #: This installation was deactivated with ``deactivate()``; call ``activate()`` again.
    DEACTIVATED = "DEACTIVATED"
    #: Network error, timeout, 5xx or 429 after all retries.
    SERVER_UNREACHABLE = "SERVER_UNREACHABLE"
    #: The server answered something that is not the contract's JSON.
    BAD_RESPONSE = "BAD_RESPONSE"
    #: Limits (same codes as the server).
    CLIENT_LIMIT_EXCEEDED = "CLIENT_LIMIT_EXCEEDED"
    USAGE_LIMIT_EXCEEDED = "USAGE_LIMIT_EXCEEDED"
    #: Unexpected internal failure (never raised from validate/check/limits/status).
    CLIENT_ERROR = "CLIENT_ERROR"
    #: Air-gapped (docs/AIR-GAPPED.md): answered from an imported license file.
    LICENSE_FILE_VALID = "LICENSE_FILE_VALID"
    #: A license file refused by one of the import rules (the message names it); what was imported stays.
    LICENSE_FILE_INVALID = "LICENSE_FILE_INVALID"
    #: The imported license file's ``exp`` has passed; import a renewed file.
    LICENSE_FILE_EXPIRED = "LICENSE_FILE_EXPIRED"
    #: ``deactivate_offline()`` with no imported license file.
    NO_LICENSE_FILE = "NO_LICENSE_FILE"
    #: Warning code on every answer made from the license file.
    AIR_GAPPED = "AIR_GAPPED"
    #: A bad argument (``record_tickets(-1)``).
    INVALID_INPUT = "INVALID_INPUT"


CLIENT_CODES = _ClientCodes()
