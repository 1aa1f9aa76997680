"""Starts the test provider (server.mjs) and logs in through it without a browser.

Standard library only (urllib, http.cookiejar); checked with mypy --strict.

    from drive import start_provider, drive_login, drive_logout

    with start_provider(["--alg", "ES256"]) as idp:
        callback = drive_login(authorization_url, "alice", "alice-password")

See README.md beside this file.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import select
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

FIXTURE_DIR = os.path.dirname(os.path.abspath(__file__))

__all__ = [
    "FIXTURE_DIR",
    "DriveError",
    "Provider",
    "start_provider",
    "drive_login",
    "drive_logout",
    "parse_form",
]


class DriveError(Exception):
    """The login or logout did not go as a browser's would."""


@dataclass
class Provider:
    """A running server.mjs. stop() (or leaving the `with` block) ends it."""

    process: "subprocess.Popen[bytes]"
    ready: Dict[str, Any]
    port: int = field(init=False)
    issuer: str = field(init=False)
    client_id: str = field(init=False)
    client_secret: str = field(init=False)

    def __post_init__(self) -> None:
        self.port = int(self.ready["port"])
        self.issuer = str(self.ready["issuer"])
        self.client_id = str(self.ready["client_id"])
        self.client_secret = str(self.ready["client_secret"])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def control(self, name: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """POST /_control/NAME with a JSON body; the JSON answer. Raises unless 200."""
        data = json.dumps(body if body is not None else {}).encode()
        req = urllib.request.Request(
            f"{self.origin}/_control/{name}",
            data=data,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                answer: Dict[str, Any] = json.loads(res.read().decode())
                return answer
        except urllib.error.HTTPError as err:
            raise DriveError(f"/_control/{name} answered {err.code}: {err.read().decode(errors='replace')}") from err

    def stop(self) -> int:
        """Closes the server's stdin (its signal to exit) and waits; returns its exit status."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            status = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        return status

    def __enter__(self) -> "Provider":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()


def start_provider(args: Sequence[str] = (), timeout: float = 20.0, node: Optional[str] = None) -> Provider:
    """Starts `node server.mjs ARGS...` and returns once it printed its READY line."""
    executable = node or os.environ.get("NODE") or shutil.which("node") or "node"
    process = subprocess.Popen(
        [executable, os.path.join(FIXTURE_DIR, "server.mjs"), *args],
        cwd=FIXTURE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None if os.environ.get("OIDC_PROVIDER_STDERR") else subprocess.DEVNULL,
    )
    assert process.stdout is not None
    line = b""
    deadline = time.monotonic() + timeout
    fd = process.stdout.fileno()
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        if not ready:
            process.kill()
            process.wait()
            raise DriveError(f"server.mjs printed no READY line within {timeout} s")
        chunk = os.read(fd, 1)
        if not chunk:
            status = process.wait()
            raise DriveError(f"server.mjs exited before READY (status {status})")
        line += chunk
    text = line.decode().rstrip("\n")
    if not text.startswith("READY "):
        process.kill()
        process.wait()
        raise DriveError(f"unexpected first line from server.mjs: {text}")
    return Provider(process, json.loads(text[len("READY ") :]))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> Optional[urllib.request.Request]:
        return None


@dataclass
class _Response:
    status: int
    location: Optional[str]
    body: str


def _opener(jar: http.cookiejar.CookieJar) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())


def _request(
    opener: urllib.request.OpenerDirector, url: str, form: Optional[List[Tuple[str, str]]] = None
) -> _Response:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if form is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with opener.open(req, timeout=15) as res:
            return _Response(res.status, res.headers.get("Location"), res.read().decode(errors="replace"))
    except urllib.error.HTTPError as err:
        body = err.read().decode(errors="replace") if err.fp is not None else ""
        return _Response(err.code, err.headers.get("Location"), body)


def _attribute(tag: str, name: str) -> Optional[str]:
    m = re.search(rf"\s{name}\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", tag, re.IGNORECASE)
    if not m:
        return None
    return html.unescape(next(g for g in m.groups() if g is not None))


def parse_form(page: str) -> Optional[Tuple[str, List[Tuple[str, str]]]]:
    """The first form of a page: its action and its named inputs."""
    m = re.search(r"<form\b[^>]*>(.*?)</form>", page, re.IGNORECASE | re.DOTALL)
    if not m:
        return None
    tag_match = re.match(r"<form\b[^>]*>", m.group(0), re.IGNORECASE)
    assert tag_match is not None
    fields: List[Tuple[str, str]] = []
    for tag in re.findall(r"<input\b[^>]*>", m.group(1), re.IGNORECASE):
        name = _attribute(tag, "name")
        if name is not None:
            fields.append((name, _attribute(tag, "value") or ""))
    return _attribute(tag_match.group(0), "action") or "", fields


def _describe(status: int, url: str, page: str) -> str:
    def pick(ident: str) -> Optional[str]:
        m = re.search(rf'id="{ident}"[^>]*>([^<]*)<', page)
        return html.unescape(m.group(1)).strip() if m else None

    error, description = pick("error"), pick("error_description")
    if error:
        text = f"{error}: {description}" if description else error
    else:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", page)).strip()[:300]
    return f"HTTP {status} at {url}: {text}"


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def drive_login(
    authorization_url: str,
    user: str,
    password: str,
    jar: Optional[http.cookiejar.CookieJar] = None,
    max_steps: int = 30,
) -> str:
    """Logs in through the provider's pages and returns the callback URL.

    GETs the authorization URL, follows redirects, posts the login form (and the consent
    form when shown) and returns the first redirect that leaves the provider's origin (the
    redirect URI with code and state, or error and error_description), not followed. Pass a
    cookie jar to reuse the session in drive_logout().
    """
    opener = _opener(jar if jar is not None else http.cookiejar.CookieJar())
    origin = _origin(authorization_url)
    url = authorization_url
    form: Optional[List[Tuple[str, str]]] = None
    login_posted = False
    for _ in range(max_steps):
        res = _request(opener, url, form)
        if res.status in (301, 302, 303, 307, 308):
            if not res.location:
                raise DriveError(f"HTTP {res.status} without Location at {url}")
            target = urllib.parse.urljoin(url, res.location)
            if _origin(target) != origin:
                return target
            url, form = target, None
            continue
        parsed = parse_form(res.body) if res.status == 200 else None
        if parsed is None:
            raise DriveError(f"login failed: {_describe(res.status, url, res.body)}")
        action, inputs = parsed
        fields = [(k, v) for k, v in inputs if k not in ("login", "password")]
        if any(k == "password" for k, _ in inputs):
            if login_posted:
                raise DriveError(f"login rejected for {user}: {_describe(res.status, url, res.body)}")
            fields += [("login", user), ("password", password)]
            login_posted = True
        target = urllib.parse.urljoin(url, action or url)
        if _origin(target) != origin:
            raise DriveError(f"the provider answered with a form posting to {target} (form_post is not supported)")
        url, form = target, fields
    raise DriveError(f"login did not reach the redirect URI within {max_steps} requests")


def drive_logout(
    end_session_url: str, jar: Optional[http.cookiejar.CookieJar] = None, max_steps: int = 10
) -> str:
    """Follows an end-session URL and returns the final Location.

    Posts the self-submitting logout form and follows redirects: the post_logout_redirect_uri
    (with state) when the provider sends the browser there, else the provider's own "signed
    out" page URL. Pass the jar used by drive_login() to end that session.
    """
    opener = _opener(jar if jar is not None else http.cookiejar.CookieJar())
    origin = _origin(end_session_url)
    url = end_session_url
    form: Optional[List[Tuple[str, str]]] = None
    last_location: Optional[str] = None
    for _ in range(max_steps):
        res = _request(opener, url, form)
        if res.status in (301, 302, 303, 307, 308):
            if not res.location:
                raise DriveError(f"HTTP {res.status} without Location at {url}")
            target = urllib.parse.urljoin(url, res.location)
            if _origin(target) != origin:
                return target
            url, form, last_location = target, None, target
            continue
        if res.status != 200:
            raise DriveError(f"logout failed: {_describe(res.status, url, res.body)}")
        parsed = parse_form(res.body)
        if parsed is None:
            if last_location is not None:
                return last_location
            raise DriveError(f"logout failed: no redirect from {url}")
        action, fields = parsed
        if not any(k == "logout" for k, _ in fields):
            fields.append(("logout", "yes"))
        url, form = urllib.parse.urljoin(url, action or url), fields
    raise DriveError(f"logout did not finish within {max_steps} requests")
