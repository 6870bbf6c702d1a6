"""HTTP with retries (urllib only): backoff with jitter, ``Retry-After`` honoured (capped).

Mirrors the TypeScript client's ``http.ts``: network errors and timeouts are retried only for
idempotent requests; 429/502/503/504 always (a refused request changed nothing); any other 5xx
only when idempotent. What is still failing after the retries is :class:`UnreachableError`
(``SERVER_UNREACHABLE``, or the 429's code), which callers may answer from the offline cache.
"""
from __future__ import annotations

import email.utils
import http.client
import json
import math
import random as _random
import re
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Mapping, Optional

from .errors import CLIENT_CODES, LicenseError

__all__ = ["HttpClient", "HttpError", "HttpResponse", "UnreachableError", "parse_retry_after"]


class HttpError(LicenseError):
    """The server answered with a non-2xx status that is not worth retrying (or non-JSON)."""


class UnreachableError(LicenseError):
    """Server unreachable after retries: network error, timeout, 5xx or 429."""


@dataclass
class HttpResponse:
    status: int
    body: Any
    headers: Mapping[str, str]
    #: The server's clock from its ``Date`` header, when present and sane.
    server_date: Optional[datetime]


RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def parse_retry_after(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """``Retry-After`` (delta seconds or HTTP date) in seconds, or None."""
    if value is None:
        return None
    text = value.strip()
    if _NUMBER.match(text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, base: float, cap: float, rnd: Callable[[], float]) -> float:
    """Exponential backoff with "equal jitter": half fixed, half random."""
    exp = min(cap, base * (2 ** attempt))
    return exp / 2 + (exp / 2) * rnd()


def _error_from_body(body: Any) -> Optional[Dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        code = err.get("code")
        if isinstance(code, str):
            message = err.get("message")
            details = err.get("details")
            return {
                "code": code,
                "message": message if isinstance(message, str) else code,
                "details": details if isinstance(details, dict) else None,
            }
    return None


def _retry_after_seconds(headers: Mapping[str, str], details: Optional[Dict[str, Any]]) -> Optional[int]:
    """The longer of ``Retry-After`` and ``details.retryAfterSeconds``, whole seconds."""
    candidates = []
    from_header = parse_retry_after(headers.get("retry-after"))
    if from_header is not None:
        candidates.append(int(math.ceil(from_header)))
    from_body = details.get("retryAfterSeconds") if details else None
    if isinstance(from_body, (int, float)) and not isinstance(from_body, bool) and from_body >= 0:
        candidates.append(int(math.ceil(from_body)))
    return max(candidates) if candidates else None


def _lower_headers(raw: Any) -> Dict[str, str]:
    out: Dict[str, str] = {}
    if raw is not None:
        for name, value in raw.items():
            out[str(name).lower()] = str(value)
    return out


def _describe(err: BaseException) -> str:
    if isinstance(err, (socket.timeout, TimeoutError)):
        return "request timed out"
    if isinstance(err, urllib.error.URLError):
        reason = err.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return "request timed out"
        return str(reason)
    return f"{type(err).__name__}: {err}"


class HttpClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        max_retry_after: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        user_agent: str = "ticketzero-license-client-py/1",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.random = random
        self.user_agent = user_agent
        # No proxies from the environment for a license check: the server URL is what was configured.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _attempt(self, method: str, path: str, headers: Dict[str, str], data: Optional[bytes]) -> "tuple[int, Dict[str, str], bytes]":
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, _lower_headers(response.headers), response.read()
        except urllib.error.HTTPError as err:
            # A non-2xx answer is an answer: read it (it may be JSON, or a proxy's HTML page).
            try:
                body = err.read()
            except (OSError, http.client.HTTPException):
                body = b""
            finally:
                err.close()
            return err.code, _lower_headers(err.headers), body

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Optional[Mapping[str, str]] = None,
        body: Any = None,
        idempotent: bool,
    ) -> HttpResponse:
        last: Optional[LicenseError] = None
        for attempt in range(self.max_retries + 1):
            all_headers = {"accept": "application/json", "user-agent": self.user_agent, **(headers or {})}
            data: Optional[bytes] = None
            if body is not None:
                all_headers["content-type"] = "application/json"
                data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            try:
                status, resp_headers, raw = self._attempt(method, path, all_headers, data)
            except (OSError, http.client.HTTPException, ValueError) as err:
                # OSError covers URLError, timeouts, refused and reset connections.
                last = UnreachableError(
                    CLIENT_CODES.SERVER_UNREACHABLE, f"License server unreachable: {_describe(err)}", retryable=True
                )
                # Without idempotency the server may already have acted: do not repeat.
                if not idempotent or attempt == self.max_retries:
                    raise last from err
                self.sleep(backoff_delay(attempt, self.base_delay, self.max_delay, self.random))
                continue

            parsed = True
            value: Any = None
            if raw:
                try:
                    value = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    parsed = False
            api_error = _error_from_body(value) if parsed else None

            if 200 <= status < 300:
                if not parsed:
                    raise HttpError(CLIENT_CODES.BAD_RESPONSE, f"Server answered {path} with non-JSON", status=status)
                return HttpResponse(status, value, resp_headers, _server_date(resp_headers.get("date")))

            code = api_error["code"] if api_error else ("UNAVAILABLE" if status >= 500 else f"HTTP_{status}")
            message = api_error["message"] if api_error else f"Server answered HTTP {status}"
            if status in RETRYABLE_STATUS or status >= 500:
                last = UnreachableError(
                    code if status == 429 else CLIENT_CODES.SERVER_UNREACHABLE,
                    f"License server unavailable (HTTP {status} {code}): {message}",
                    status=status,
                    retryable=True,
                )
                # 500 may have acted (a bug); only 429/502/503/504 are known to be refusals.
                if not (status in RETRYABLE_STATUS or idempotent) or attempt == self.max_retries:
                    raise last
                retry_after = parse_retry_after(resp_headers.get("retry-after"))
                delay = (
                    min(retry_after, self.max_retry_after)
                    if retry_after is not None
                    else backoff_delay(attempt, self.base_delay, self.max_delay, self.random)
                )
                self.sleep(delay)
                continue
            if not parsed or api_error is None:
                # The contract's errors are JSON; an HTML page (a proxy, a wrong URL) is not the server speaking.
                raise HttpError(
                    CLIENT_CODES.BAD_RESPONSE,
                    f"Server answered {path} with HTTP {status} and {'non-JSON' if not parsed else 'no error member'}",
                    status=status,
                )
            raise HttpError(
                code,
                message,
                status=status,
                details=api_error["details"],
                retry_after_seconds=_retry_after_seconds(resp_headers, api_error["details"]),
            )
        raise last or UnreachableError(CLIENT_CODES.SERVER_UNREACHABLE, "License server unreachable", retryable=True)


def _server_date(value: Optional[str]) -> Optional[datetime]:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
