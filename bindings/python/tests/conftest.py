"""Shared fixtures: a real redis-server, the test identity provider, token makers."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
IDP_DIR = ROOT / "tests" / "idp" / "oidc-provider"
REDIRECT_URI = "http://127.0.0.1:3000/auth/callback"
AFTER_LOGOUT = "http://127.0.0.1:3000/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A redis-server of its own on a free port, without persistence."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (make test installs it)")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="oidcore-redis-")
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _npm_ci() -> None:
    """`npm ci` in the provider's folder when its node_modules are missing or stale.

    Takes the same lock as tests/idp/oidc-provider/npm_ci.cmake, so ctest and pytest never
    install over each other.
    """
    tmp = os.environ.get("TMPDIR") if os.path.isdir(os.environ.get("TMPDIR", "")) else "/tmp"
    key = hashlib.md5(str(IDP_DIR).encode()).hexdigest()
    with open(os.path.join(str(tmp), f"oidcore-oidc-provider-npm-{key}.lock"), "a+") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        installed = IDP_DIR / "node_modules" / ".package-lock.json"
        if (installed.exists() and (IDP_DIR / "node_modules" / "oidc-provider" / "package.json").exists()
                and (IDP_DIR / "package-lock.json").stat().st_mtime <= installed.stat().st_mtime):
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed: the login-flow tests need node and npm")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=IDP_DIR, check=True,
                       timeout=900)


@pytest.fixture(scope="session")
def drive() -> Any:
    """tests/idp/oidc-provider/drive.py (start_provider, drive_login, drive_logout)."""
    if not (IDP_DIR / "drive.py").exists():
        pytest.fail(f"the test identity provider is missing: {IDP_DIR}")
    _npm_ci()
    sys.path.insert(0, str(IDP_DIR))
    import drive as module  # type: ignore[import-not-found]
    return module


@pytest.fixture(scope="session")
def idp(drive: Any) -> Iterator[Any]:
    """One running test provider (node oidc-provider configured like Authentik) for the session."""
    provider = drive.start_provider(["--redirect-uri", REDIRECT_URI, "--post-logout-redirect-uri", AFTER_LOGOUT])
    try:
        yield provider
    finally:
        provider.stop()


def json_text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
