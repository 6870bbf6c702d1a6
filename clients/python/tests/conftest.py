"""Fixtures: the REAL portal server process, its license CLI, and clients in temporary data dirs.

The session starts the portal as the TypeScript tests do (tests/support/app-server.ts):
``node --import tsx scripts/start.ts --api-only`` with ``PORT`` on a free port, ``NODE_ENV=production``,
``APP_ENV=development`` and the generous rate limits of tests/support/http.ts, on one database:

* ``DATABASE_URL`` when set (``npm test`` runs this suite from tests/client/python.test.ts on the
  run's database, embedded or PostgreSQL);
* otherwise an embedded PostgreSQL in a fresh temporary ``DATA_DIR``, owned by
  tests/support/embedded-owner.ts for the whole session. Only one process may own an embedded
  database folder: with the owner's URL in ``DATABASE_URL`` the server and every license-CLI call
  connect to it as plain PostgreSQL clients, and nobody else tries to own the folder.

The server and the CLI share ``DATA_DIR`` and so the development secrets (the signing key the
license-file helper signs with). ``TZ_TEST_SERVER_URL`` runs the suite against a server that is
already running instead (the CLI then needs that server's DATA_DIR/DATABASE_URL in the environment).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
sys.path.insert(0, PACKAGE_ROOT)

from ticketzero_license import LicenseManager  # noqa: E402

# tests/support/http.ts GENEROUS_LIMITS and serverEnv(): honest test traffic never meets a limit.
GENEROUS_LIMITS = {
    "RATE_LIMIT_ACTIVATIONS_PER_HOUR": "100000",
    "RATE_LIMIT_ACTIVATION_ATTEMPTS_PER_HOUR": "100000",
    "RATE_LIMIT_TRIALS_PER_HOUR": "100000",
    "RATE_LIMIT_KEY_PER_MINUTE": "100000",
    "RATE_LIMIT_FAILED_LOOKUPS": "100000",
}
STARTUP_TIMEOUT = 120.0


def node_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment for Node processes: the repository's pinned Node 24 first on PATH."""
    env = dict(os.environ)
    env["PATH"] = os.path.join(REPO_ROOT, "node_modules", ".bin") + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_port_url() -> str:
    """A URL where nothing listens (connection refused at once): the server is unreachable."""
    return f"http://127.0.0.1:{free_port()}"


def random_email(tag: str) -> str:
    return f"py-{tag}-{secrets.token_hex(6)}@example.test"


def random_ip() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


def run_node(args: List[str], env: Dict[str, str], timeout: float = 120.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", "--import", "tsx", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


class Portal:
    """The server under test and its back-office CLI (same database, same secrets)."""

    def __init__(self, url: str, env: Dict[str, str]) -> None:
        self.url = url
        self.env = env
        with urllib.request.urlopen(f"{url}/api/public-key", timeout=10) as res:
            self.jwks: Dict[str, Any] = json.loads(res.read())
        handle, self.jwks_file = tempfile.mkstemp(prefix="tz-py-jwks-", suffix=".json")
        with os.fdopen(handle, "w") as fh:
            json.dump(self.jwks, fh)

    def cli(self, *args: str) -> Dict[str, Any]:
        done = run_node(["scripts/license-cli.ts", *args, "--json"], self.env)
        if done.returncode != 0:
            raise AssertionError(f"license-cli {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout)

    def issue(self, plan: str = "professional", **options: Any) -> str:
        """Issues a license (random email) and returns its key; options: max_activations=1, max_tickets=10 ..."""
        args = ["issue", "--plan", plan, "--email", random_email(plan)]
        for name, value in options.items():
            args += [f"--{name.replace('_', '-')}", str(value)]
        return str(self.cli(*args)["licenseKey"])

    def license_file(self, request_path: str, key: str, **overrides: Any) -> str:
        """The license file the portal answers for a request: without overrides, the real one (the
        server CLI's `license-file`, which takes the slot as License & Billing does); with overrides,
        a forged one signed with the server's key (tests/support/license-file.ts) for the import rules."""
        if not overrides:
            handle, out = tempfile.mkstemp(prefix="tz-py-license-", suffix=".json")
            os.close(handle)
            try:
                self.cli("license-file", "--key", key, "--request", request_path, "--out", out)
                with open(out, encoding="utf-8") as fh:
                    return fh.read()
            finally:
                os.unlink(out)
        args = ["clients/python/tests/support/license-file.ts", "--request", request_path, "--key", key]
        for name, value in overrides.items():
            args += [f"--{name.replace('_', '-')}", str(value)]
        done = run_node(args, self.env)
        if done.returncode != 0:
            raise AssertionError(f"license-file helper exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def _start_embedded_owner(data_dir: str, env: Dict[str, str]) -> Tuple[subprocess.Popen, str]:
    owner = subprocess.Popen(
        ["node", "--import", "tsx", "tests/support/embedded-owner.ts", data_dir],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert owner.stdout is not None
    line = owner.stdout.readline()  # one JSON line once the database is up and migrated
    if not line:
        err = owner.stderr.read() if owner.stderr else ""
        raise RuntimeError(f"embedded database owner exited {owner.wait()}:\n{err}")
    return owner, str(json.loads(line)["url"])


def _start_server(env: Dict[str, str]) -> Tuple[subprocess.Popen, str, List[str]]:
    port = int(env["PORT"])
    server = subprocess.Popen(
        ["node", "--import", "tsx", "scripts/start.ts", "--api-only"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its worker process is stopped with it
    )
    output: List[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert server.stdout is not None
        for line in server.stdout:
            output.append(line)
            if f"on http://localhost:{port}" in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not ready.wait(0.2):
        if server.poll() is not None or time.monotonic() > deadline:
            _stop(server)
            raise RuntimeError(f"portal server did not start (exit {server.poll()}):\n{''.join(output)}")
    return server, f"http://localhost:{port}", output


def _stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(5)


@pytest.fixture(scope="session")
def core_built() -> None:
    """node_modules/@ticketzero/core built from packages/core/src (what `npm run build:core` does)."""
    build = run_node(["scripts/build-core.ts"], node_env())
    assert build.returncode == 0, f"build:core failed:\n{build.stdout}\n{build.stderr}"


@pytest.fixture(scope="session")
def portal(core_built: None) -> Iterator[Portal]:
    base_env = node_env({"APP_ENV": "development"})
    given = os.environ.get("TZ_TEST_SERVER_URL")
    if given:
        portal = Portal(given.rstrip("/"), base_env)
        yield portal
        os.unlink(portal.jwks_file)
        return
    own_dir = None if os.environ.get("DATA_DIR") else tempfile.mkdtemp(prefix="tz-py-portal-")
    data_dir = os.environ.get("DATA_DIR") or str(own_dir)
    env = node_env({"APP_ENV": "development", "DATA_DIR": data_dir})
    owner: Optional[subprocess.Popen] = None
    server: Optional[subprocess.Popen] = None
    try:
        if not env.get("DATABASE_URL"):
            owner, env["DATABASE_URL"] = _start_embedded_owner(data_dir, env)
        server_env = {
            **env,
            **GENEROUS_LIMITS,
            "PORT": str(free_port()),
            "NODE_ENV": "production",
            "TRUST_PROXY": "1",
            "DB_POOL_SIZE": "5",
        }
        server, url, _ = _start_server(server_env)
        portal = Portal(url, env)
        yield portal
        os.unlink(portal.jwks_file)
    finally:
        if server is not None:
            _stop(server)
        if owner is not None:
            # Closing its standard input stops the database and the owner (tests/support/embedded-owner.ts).
            assert owner.stdin is not None
            owner.stdin.close()
            try:
                owner.wait(30)
            except subprocess.TimeoutExpired:
                owner.kill()
                owner.wait(5)
        if own_dir:
            shutil.rmtree(own_dir, ignore_errors=True)


@pytest.fixture
def temp_dir() -> Iterator[Callable[[], str]]:
    """Makes temporary directories, all removed after the test."""
    made: List[str] = []

    def make() -> str:
        made.append(tempfile.mkdtemp(prefix="tz-py-"))
        return made[-1]

    yield make
    for d in made:
        shutil.rmtree(d, ignore_errors=True)


class FakeClock:
    """Injected time: starts at the real time, moves only when told."""

    def __init__(self) -> None:
        self.current = datetime.now(timezone.utc)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current = self.current + timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_manager(portal: Portal, temp_dir: Callable[[], str], clock: FakeClock) -> Callable[..., LicenseManager]:
    """A LicenseManager on the test server (or ``server_url=``), its own data dir and client address,
    the fake clock, no real sleeping between retries."""

    def make(key: str, **options: Any) -> LicenseManager:
        settings: Dict[str, Any] = {
            "server_url": portal.url,
            "license_key": key,
            "data_dir": options.pop("data_dir", None) or temp_dir(),
            "jwks": portal.jwks,
            "now": clock.now,
            "sleep": lambda _seconds: None,
            "max_retries": 1,
            "headers": {"x-forwarded-for": random_ip()},
        }
        settings.update(options)
        return LicenseManager(**settings)

    return make


class StubServer:
    """A tiny local HTTP server answering every request with one canned response (and counting them)."""

    def __init__(self, status: int, body: str, content_type: str = "text/html", headers: Optional[Dict[str, str]] = None):
        stub = self
        self.requests: List[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                stub.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def stub_server() -> Iterator[Callable[..., StubServer]]:
    started: List[StubServer] = []

    def start(status: int, body: str, content_type: str = "text/html", headers: Optional[Dict[str, str]] = None) -> StubServer:
        started.append(StubServer(status, body, content_type, headers))
        return started[-1]

    yield start
    for s in started:
        s.close()


def python_cli(args: List[str], env: Optional[Dict[str, str]] = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """``python -m ticketzero_license ARGS`` as an installation runs it."""
    full = dict(os.environ)
    full["PYTHONPATH"] = PACKAGE_ROOT + os.pathsep + full.get("PYTHONPATH", "")
    for name in ("TZ_SERVER_URL", "TZ_LICENSE_KEY", "TZ_DATA_DIR", "TZ_JWKS_FILE", "TZ_TRUST_ON_FIRST_USE", "TZ_CACHE_SECRET"):
        full.pop(name, None)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ticketzero_license", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PACKAGE_ROOT,
        env=full,
    )
