#!/usr/bin/env python3
"""A scriptable test identity provider (OIDC discovery + JWKS) for the oidcore tests.

Python standard library only. Serves an OpenID Connect discovery document, a JWKS and a
token endpoint whose answer is set by the test, and lets a test inject faults (error statuses, hangs, dropped connections, huge, broken
or slow bodies, extra headers, delays) through a small JSON control API on the same port.

    python3 test_idp.py [--host 127.0.0.1] [--port 0] [--tls-cert CERT --tls-key KEY]
                        [--issuer-from-host] [--issuer URL] [--jwks FILE]
                        [--jwks-path /jwks] [--discovery-path PATH]
                        [--idle-timeout 120] [--no-parent-watch] [--verbose]

Prints exactly one line, "READY <port>", to stdout once it accepts connections, then serves
until stdin reaches EOF, the parent process goes away, or SIGTERM/SIGINT/SIGHUP arrives,
or POST /_control/shutdown; it then exits with status 0. Startup errors go to stderr with
exit status 2 and no READY line. See README.md next to this file for the control API.
"""

from __future__ import annotations

import argparse
import copy
import email.utils
import http.server
import ipaddress
import json
import os
import re
import select
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

STOP = threading.Event()

CONTROL_PREFIX = "/_control"
LOG_LIMIT = 1000
HANDSHAKE_TIMEOUT = 10.0
TARGETS = ("jwks", "discovery")
MODES = ("normal", "status", "hang", "close", "huge", "invalid_json",
         "wrong_content", "empty_set", "slow")
MODE_KEYS = {"path", "mode", "once", "status", "body", "content_type", "seconds",
             "bytes", "chunked", "interval", "reset"}
FORBIDDEN_EXTRA_HEADERS = {"content-length", "transfer-encoding", "connection"}
TOKEN_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

DEFAULT_JWKS = b'{"keys":[]}'
WRONG_CONTENT = (b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head>"
                 b"<body><h1>Please sign in</h1><form method=\"post\"></form></body></html>\n")
INVALID_JSON = b'{"keys": ['
EMPTY_SET = b'{"keys":[]}'
# What POST <issuer>token/ answers until POST /_control/token says otherwise: the test
# provider has no registered client.
DEFAULT_TOKEN_ANSWER = {"status": 400, "body": b'{"error":"invalid_client"}',
                        "content_type": "application/json"}


class BadRequest(Exception):
    pass


# --------------------------------------------------------------------------- state

class State:
    """Everything the control API can change. One lock; handlers take snapshots."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.Lock()
        self.conn_serial = 0
        self.reset_all()

    def reset_all(self):
        with self.lock:
            self.jwks = self.cfg.initial_jwks
            self.token_answer = dict(DEFAULT_TOKEN_ANSWER)
            self.jwks_path = self.cfg.jwks_path
            self.discovery_path = self.cfg.discovery_path
            self.discovery_override = None  # ("merge", dict) | ("replace", obj) | ("raw", bytes)
            self.modes = {}     # target -> mode dict
            self.headers = {}   # target -> list of (name, value-or-None)
            self.delays = {}    # target -> seconds
            self._reset_counts_locked()

    def _reset_counts_locked(self):
        self.counts = {"jwks": 0, "discovery": 0, "token": 0, "other": 0, "total": 0}
        self.by_path = {}
        self.log = []

    def reset_counts(self):
        with self.lock:
            self._reset_counts_locked()

    def next_conn(self):
        with self.lock:
            self.conn_serial += 1
            return self.conn_serial

    def classify(self, path):
        with self.lock:
            if path == self.discovery_path:
                return "discovery"
            if path == self.jwks_path:
                return "jwks"
            if path == self.cfg.token_path:
                return "token"
            return None

    def control_targets(self, name):
        """Maps the "path" of a control request to the targets it covers."""
        if not isinstance(name, str):
            raise BadRequest('"path" must be a string: "/jwks", "discovery" or "*"')
        with self.lock:
            if name == "*":
                return list(TARGETS)
            if name in ("jwks", "/jwks", self.jwks_path):
                return ["jwks"]
            if name in ("discovery", "/.well-known/openid-configuration", self.discovery_path):
                return ["discovery"]
        raise BadRequest('unknown "path" %r: use "/jwks", "discovery" or "*"' % (name,))

    def record(self, entry, target, path):
        with self.lock:
            self.counts["total"] += 1
            self.counts[target or "other"] += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1
            self.log.append(entry)
            if len(self.log) > LOG_LIMIT:
                del self.log[: len(self.log) - LOG_LIMIT]

    def take_mode(self, target):
        """The mode for this request; a "once" mode is consumed atomically."""
        with self.lock:
            mode = self.modes.get(target)
            if mode is None:
                return {"mode": "normal"}
            if mode.get("once"):
                del self.modes[target]
            return dict(mode)

    def snapshot(self, target):
        with self.lock:
            return (self.jwks, list(self.headers.get(target, [])), self.delays.get(target, 0.0),
                    self.discovery_override, self.jwks_path)

    def requests_report(self):
        with self.lock:
            return {"/jwks": self.counts["jwks"], "discovery": self.counts["discovery"],
                    "token": self.counts["token"], "other": self.counts["other"], "total": self.counts["total"],
                    "by_path": dict(self.by_path), "log": list(self.log)}

    def state_report(self):
        with self.lock:
            ov = self.discovery_override
            return {"jwks_path": self.jwks_path, "discovery_path": self.discovery_path,
                    "issuer": self.cfg.issuer, "issuer_from_host": self.cfg.issuer_from_host,
                    "tls": self.cfg.ssl_context is not None,
                    "jwks": self.jwks.decode("utf-8", "replace"),
                    "discovery_override": None if ov is None else
                    {"kind": ov[0], "value": ov[1].decode("utf-8", "replace")
                     if isinstance(ov[1], bytes) else ov[1]},
                    "modes": copy.deepcopy(self.modes),
                    "headers": {t: [[n, v] for n, v in h] for t, h in self.headers.items()},
                    "delays": dict(self.delays),
                    "token": {"status": self.token_answer["status"],
                              "body": self.token_answer["body"].decode("utf-8", "replace"),
                              "content_type": self.token_answer["content_type"]}}


# --------------------------------------------------------------------------- bodies

def _huge_unit(target):
    if target == "jwks":
        prefix = b'{"keys":['
        n = b"A" * 342 + b"Q"
        unit = (b'{"kty":"RSA","use":"sig","alg":"RS256","kid":"padding-key","e":"AQAB","n":"'
                + n + b'"},')
    else:
        prefix = b'{"issuer":"https://padding.invalid/","x_padding":['
        unit = b'"' + b"0123456789abcdef" * 16 + b'",'
    return prefix, unit


def huge_blocks(target, total, block_size=65536):
    """Yields blocks adding up to exactly `total` bytes: a JSON prefix, then one array
    element repeated (never closed)."""
    prefix, unit = _huge_unit(target)
    ring = unit * (block_size // len(unit) + 2)
    sent = 0
    first = prefix[:total]
    if first:
        sent = len(first)
        yield first
    off = 0
    while sent < total:
        n = min(block_size, total - sent)
        yield ring[off:off + n]
        off = (off + n) % len(unit)
        sent += n


# --------------------------------------------------------------------------- handler

def client_gone(exc):
    """True for the errors of a peer that went away (reset, broken pipe, TLS failure,
    timeout, or a write after the connection was dropped on purpose)."""
    if isinstance(exc, OSError):
        return True
    return isinstance(exc, ValueError) and "closed" in str(exc)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oidcore-test-idp/1"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = None  # set per connection by the server

    # -- plumbing -------------------------------------------------------------

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        self.conn_id = self.server.state.next_conn()
        self.is_tls = isinstance(self.connection, ssl.SSLSocket)

    def handle(self):
        try:
            super().handle()
        except Exception as e:  # noqa: BLE001
            if not client_gone(e):
                raise
            self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        if self.server.cfg.verbose:
            sys.stderr.write("test_idp: [%s conn %d] %s\n" % (
                self.log_date_time_string(), getattr(self, "conn_id", 0), format % args))

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _split_path(self):
        raw = self.path
        if raw.startswith(("http://", "https://")):  # absolute-form request target
            parts = urllib.parse.urlsplit(raw)
            return parts.path or "/", parts.query
        path, _, query = raw.partition("?")
        return path, query

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise BadRequest("bad Content-Length")
        if n < 0 or n > 256 * 1024 * 1024:
            raise BadRequest("bad Content-Length")
        return self.rfile.read(n)

    def send_head(self, status, content_type, length, extra, chunked=False, bodyless=False):
        """Status line and headers. `extra` is a list of (name, value-or-None); a name that
        matches a default header (Server, Date, Content-Type) replaces it, None removes it.
        length None (and not chunked/bodyless): the body ends when the connection closes.
        Returns whether the body must be sent chunked."""
        if chunked and self.request_version == "HTTP/1.0":
            chunked = False  # HTTP/1.0 has no chunked coding: end the body by closing
            length = None
        headers = [["Server", self.version_string()],
                   ["Date", email.utils.formatdate(usegmt=True)]]
        if content_type is not None:
            headers.append(["Content-Type", content_type])
        overridden = {n.lower() for n, _ in extra}
        headers = [h for h in headers if h[0].lower() not in overridden]
        for name, value in extra:
            for v in (value if isinstance(value, list) else [value]):
                if v is not None:
                    headers.append([name, str(v)])
        if chunked:
            headers.append(["Transfer-Encoding", "chunked"])
        elif length is not None:
            headers.append(["Content-Length", str(length)])
        elif not bodyless:
            self.close_connection = True
        if self.close_connection:
            headers.append(["Connection", "close"])
        self.log_request(status, "-" if length is None else length)
        if not hasattr(self, "_headers_buffer"):
            self._headers_buffer = []  # an HTTP/0.9 request gets a 1.1 answer
            self.request_version = "HTTP/1.0"
        self.send_response_only(status)
        for name, value in headers:
            self._headers_buffer.append(("%s: %s\r\n" % (name, value)).encode("latin-1", "strict"))
        self.end_headers()
        return chunked

    def send_simple(self, status, body, content_type="application/json", extra=()):
        if isinstance(body, str):
            body = body.encode("utf-8")
        if status in (204, 304):  # never a body, no Content-Length needed
            self.send_head(status, None, None, list(extra), bodyless=True)
            return
        self.send_head(status, content_type, len(body), list(extra))
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj):
        self.send_simple(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"),
                         "application/json")

    def drop_connection(self, reset=False):
        self.close_connection = True
        if reset:
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
        try:
            self.connection.close()
        except OSError:
            pass

    # -- routing --------------------------------------------------------------

    def _dispatch(self):
        path, query = self._split_path()
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            try:
                self._control(path)
            except BadRequest as e:
                self.send_json(400, {"ok": False, "error": str(e)})
            return

        state = self.server.state
        plain_on_tls = self.server.cfg.ssl_context is not None and not self.is_tls
        target = None if plain_on_tls else state.classify(path)
        h = self.headers
        entry = {"path": path, "query": query, "method": self.command,
                 "host": h.get("Host"),
                 "x_forwarded_proto": h.get("X-Forwarded-Proto"),
                 "x_forwarded_host": h.get("X-Forwarded-Host"),
                 "x_forwarded_for": h.get("X-Forwarded-For"),
                 "ts": time.time(), "conn": self.conn_id, "tls": self.is_tls,
                 "target": target,
                 "headers": {k: ", ".join(h.get_all(k)) for k in dict.fromkeys(h.keys())}}
        state.record(entry, target, path)

        try:
            self.read_body()
        except (BadRequest, ValueError):
            self.close_connection = True
            self.send_json(400, {"error": "unreadable request body"})
            return
        if plain_on_tls:
            self.close_connection = True
            self.send_simple(400, b"plain HTTP request sent to an HTTPS port\n", "text/plain")
            return
        if target is None:
            self.send_json(404, {"error": "not found", "path": path})
            return
        if target == "token":
            self._serve_token()
            return
        if self.command not in ("GET", "HEAD"):
            self.send_simple(405, json.dumps({"error": "method not allowed"}), extra=[("Allow", "GET, HEAD")])
            return
        self._serve_target(target)

    # -- documents and faults -------------------------------------------------

    def _discovery_doc(self, override, jwks_path):
        cfg = self.server.cfg
        issuer = cfg.issuer
        if cfg.issuer_from_host:
            proto = (self.headers.get("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
            if proto not in ("http", "https"):
                proto = "https" if self.is_tls else "http"
            host = (self.headers.get("Host") or "").strip() or cfg.default_netloc
            issuer = "%s://%s%s" % (proto, host, cfg.issuer_path)
        parts = urllib.parse.urlsplit(issuer)
        origin = "%s://%s" % (parts.scheme, parts.netloc)
        base = origin + parts.path.rstrip("/")
        doc = {
            "issuer": issuer,
            "authorization_endpoint": base + "/authorize/",
            "token_endpoint": base + "/token/",
            "userinfo_endpoint": base + "/userinfo/",
            "end_session_endpoint": base + "/end-session/",
            "revocation_endpoint": base + "/revoke/",
            "introspection_endpoint": base + "/introspect/",
            "device_authorization_endpoint": base + "/device/",
            "jwks_uri": origin + jwks_path,
            "response_types_supported": ["code", "id_token", "id_token token", "code token",
                                         "code id_token", "code id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": ["authorization_code", "refresh_token", "implicit",
                                      "client_credentials", "password",
                                      "urn:ietf:params:oauth:grant-type:device_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "id_token_encryption_alg_values_supported": [],
            "id_token_encryption_enc_values_supported": [],
            "scopes_supported": ["openid", "email", "profile", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr",
                                 "nonce", "email", "email_verified", "name", "given_name",
                                 "preferred_username", "nickname", "groups"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "request_parameter_supported": False,
            "claims_parameter_supported": False,
        }
        if override is not None:
            kind, value = override
            if kind == "raw":
                return value
            if kind == "replace":
                doc = value
            else:
                for k, v in value.items():
                    if v is None:
                        doc.pop(k, None)
                    else:
                        doc[k] = v
        return json.dumps(doc, indent=1).encode("utf-8")

    def _serve_target(self, target):
        state = self.server.state
        jwks, extra, delay, override, jwks_path = state.snapshot(target)
        mode = state.take_mode(target)
        if delay > 0 and STOP.wait(delay):
            self.drop_connection()
            return
        m = mode["mode"]
        head_only = self.command == "HEAD"

        if m == "normal" or m == "slow":
            if target == "jwks":
                body = jwks
            else:
                body = self._discovery_doc(override, jwks_path)
            if m == "normal":
                self.send_simple(200, body, "application/json", extra)
                return
            self.send_head(200, "application/json", len(body), extra)
            if head_only:
                return
            interval = mode.get("interval", 0.2)
            for i in range(len(body)):
                if i and STOP.wait(interval):
                    self.drop_connection()
                    return
                self.wfile.write(body[i:i + 1])
            return
        if m == "status":
            status = mode.get("status", 500)
            body = mode.get("body")
            if body is None:
                body = json.dumps({"error": "injected", "status": status})
            self.send_simple(status, body, mode.get("content_type", "application/json"), extra)
            return
        if m == "hang":
            self._hang(mode.get("seconds", 60.0))
            return
        if m == "close":
            self.drop_connection(reset=bool(mode.get("reset")))
            return
        if m == "huge":
            total = mode.get("bytes", 5 * 1024 * 1024)
            chunked = bool(mode.get("chunked"))
            chunked = self.send_head(200, "application/json", None if chunked else total,
                                     extra, chunked=chunked)
            if head_only:
                return
            for block in huge_blocks(target, total):
                if STOP.is_set():
                    self.drop_connection()
                    return
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                else:
                    self.wfile.write(block)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
            return
        if m == "invalid_json":
            self.send_simple(200, INVALID_JSON, "application/json", extra)
            return
        if m == "wrong_content":
            self.send_simple(200, WRONG_CONTENT, "text/html; charset=utf-8", extra)
            return
        if m == "empty_set":
            self.send_simple(200, EMPTY_SET, "application/json", extra)
            return
        raise AssertionError("unhandled mode %r" % (m,))

    def _serve_token(self):
        """The token endpoint: POST only, answered with what /_control/token set."""
        if self.command != "POST":
            self.send_simple(405, json.dumps({"error": "method not allowed"}), extra=[("Allow", "POST")])
            return
        with self.server.state.lock:
            answer = dict(self.server.state.token_answer)
        self.send_simple(answer["status"], answer["body"], answer["content_type"],
                         [("Cache-Control", "no-store")])

    def _hang(self, seconds):
        """Never answer: wait until the client closes, `seconds` pass or the server stops;
        then close the connection without a response."""
        self.close_connection = True
        deadline = time.monotonic() + seconds
        sock = self.connection
        poller = select.poll()
        try:
            poller.register(sock, select.POLLIN | select.POLLHUP | select.POLLERR)
        except (OSError, ValueError):
            return
        while not STOP.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            events = poller.poll(int(min(remaining, 0.2) * 1000) + 1)
            if not events:
                continue
            if any(ev & (select.POLLHUP | select.POLLERR) for _, ev in events):
                break
            try:
                sock.settimeout(0.2)
                data = sock.recv(65536)  # discard anything else the client sends
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except (OSError, ValueError):
                break
            if not data:
                break
        self.drop_connection()

    # -- control API ----------------------------------------------------------

    def _control(self, path):
        state = self.server.state
        name = path[len(CONTROL_PREFIX):].strip("/")
        try:
            raw = self.read_body()
        except ValueError:
            self.close_connection = True
            raise BadRequest("unreadable request body")
        getters = {"requests", "state"}
        posts = {"jwks", "discovery", "mode", "headers", "delay", "paths", "token",
                 "reset_counts", "reset", "shutdown"}
        if name in getters:
            if self.command not in ("GET", "HEAD"):
                self.send_simple(405, json.dumps({"ok": False, "error": "use GET"}), extra=[("Allow", "GET")])
                return
            self.send_json(200, state.requests_report() if name == "requests" else state.state_report())
            return
        if name not in posts:
            self.send_json(404, {"ok": False, "error": "unknown control endpoint %r" % (path,)})
            return
        if self.command != "POST":
            self.send_simple(405, json.dumps({"ok": False, "error": "use POST"}), extra=[("Allow", "POST")])
            return

        if name == "jwks":
            with state.lock:
                state.jwks = raw
        elif name == "reset_counts":
            state.reset_counts()
        elif name == "reset":
            state.reset_all()
        elif name == "shutdown":
            self.close_connection = True
            self.send_json(200, {"ok": True})
            threading.Timer(0.05, STOP.set).start()
            return
        else:
            body = self._json(raw)
            getattr(self, "_control_" + name)(body)
        self.send_json(200, {"ok": True})

    @staticmethod
    def _json(raw):
        try:
            return json.loads(raw.decode("utf-8") if raw else "null")
        except (UnicodeDecodeError, ValueError) as e:
            raise BadRequest("body is not JSON: %s" % e)

    @staticmethod
    def _obj(body, keys=None):
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        if keys is not None:
            unknown = set(body) - set(keys)
            if unknown:
                raise BadRequest("unknown member(s): %s" % ", ".join(sorted(unknown)))
        return body

    def _control_discovery(self, body):
        self._obj(body)
        state = self.server.state
        if "__raw__" in body:
            if len(body) != 1 or not isinstance(body["__raw__"], str):
                raise BadRequest('"__raw__" must be the only member and a string')
            override = ("raw", body["__raw__"].encode("utf-8"))
        elif "__replace__" in body:
            if len(body) != 1:
                raise BadRequest('"__replace__" must be the only member')
            override = ("replace", copy.deepcopy(body["__replace__"]))
        elif body:
            override = ("merge", copy.deepcopy(body))
        else:
            override = None
        with state.lock:
            state.discovery_override = override

    def _control_token(self, body):
        self._obj(body, {"status", "body", "content_type"})
        answer = dict(DEFAULT_TOKEN_ANSWER)
        if "status" in body:
            st = body["status"]
            if isinstance(st, bool) or not isinstance(st, int) or not 200 <= st <= 599:
                raise BadRequest('"status" must be a whole number in [200, 599]')
            answer["status"] = st
        if "body" in body:  # a string is served verbatim, anything else as its JSON text
            b = body["body"]
            answer["body"] = (b if isinstance(b, str)
                              else json.dumps(b, separators=(",", ":"))).encode("utf-8")
        if "content_type" in body:
            ct = body["content_type"]
            if not isinstance(ct, str) or "\r" in ct or "\n" in ct:
                raise BadRequest('"content_type" must be a one-line string')
            answer["content_type"] = ct
        with self.server.state.lock:
            self.server.state.token_answer = answer

    def _control_mode(self, body):
        self._obj(body, MODE_KEYS)
        state = self.server.state
        targets = state.control_targets(body.get("path"))
        m = body.get("mode")
        if m not in MODES:
            raise BadRequest('"mode" must be one of %s' % ", ".join(MODES))
        mode = {"mode": m}

        def num(key, default, lo, hi, integer=False):
            v = body.get(key, default)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
                raise BadRequest('"%s" must be a number' % key)
            if not lo <= v <= hi:
                raise BadRequest('"%s" out of range [%s, %s]' % (key, lo, hi))
            return v

        def flag(key):
            v = body.get(key, False)
            if not isinstance(v, bool):
                raise BadRequest('"%s" must be true or false' % key)
            return v

        allowed = {"path", "mode", "once"}
        if m == "status":
            allowed |= {"status", "body", "content_type"}
            mode["status"] = num("status", 500, 200, 599, integer=True)
            if "body" in body:
                if not isinstance(body["body"], str):
                    raise BadRequest('"body" must be a string')
                mode["body"] = body["body"]
            if "content_type" in body:
                ct = body["content_type"]
                if not isinstance(ct, str) or "\r" in ct or "\n" in ct:
                    raise BadRequest('"content_type" must be a one-line string')
                mode["content_type"] = ct
        elif m == "hang":
            allowed |= {"seconds"}
            mode["seconds"] = float(num("seconds", 60.0, 0, 86400))
        elif m == "close":
            allowed |= {"reset"}
            mode["reset"] = flag("reset")
        elif m == "huge":
            allowed |= {"bytes", "chunked"}
            mode["bytes"] = num("bytes", 5 * 1024 * 1024, 0, 1 << 40, integer=True)
            mode["chunked"] = flag("chunked")
        elif m == "slow":
            allowed |= {"interval"}
            mode["interval"] = float(num("interval", 0.2, 0, 3600))
        extra = set(body) - allowed
        if extra:
            raise BadRequest("member(s) not used by mode %s: %s" % (m, ", ".join(sorted(extra))))
        once = flag("once")
        with state.lock:
            for t in targets:
                if m == "normal":
                    state.modes.pop(t, None)
                else:
                    state.modes[t] = dict(mode, once=once)

    def _control_headers(self, body):
        self._obj(body, {"path", "headers"})
        state = self.server.state
        targets = state.control_targets(body.get("path"))
        hdrs = body.get("headers", {})
        if not isinstance(hdrs, dict):
            raise BadRequest('"headers" must be an object')
        parsed = []
        for name, value in hdrs.items():
            if not TOKEN_RE.match(name):
                raise BadRequest("bad header name %r" % (name,))
            if name.lower() in FORBIDDEN_EXTRA_HEADERS:
                raise BadRequest("header %s is managed by the server" % name)
            values = value if isinstance(value, list) else [value]
            for v in values:
                if v is None and not isinstance(value, list):
                    continue
                if not isinstance(v, (str, int, float)) or isinstance(v, bool):
                    raise BadRequest("header %s: value must be a string, a number, "
                                     "a list of those, or null" % name)
                s = str(v)
                if "\r" in s or "\n" in s or "\0" in s:
                    raise BadRequest("header %s: value contains a line break" % name)
                try:
                    s.encode("latin-1")
                except UnicodeEncodeError:
                    raise BadRequest("header %s: value is not latin-1" % name)
            parsed.append((name, value))
        with state.lock:
            for t in targets:
                if parsed:
                    state.headers[t] = list(parsed)
                else:
                    state.headers.pop(t, None)

    def _control_delay(self, body):
        self._obj(body, {"path", "seconds"})
        state = self.server.state
        targets = state.control_targets(body.get("path"))
        s = body.get("seconds", 0)
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not 0 <= s <= 3600:
            raise BadRequest('"seconds" must be a number in [0, 3600]')
        with state.lock:
            for t in targets:
                if s > 0:
                    state.delays[t] = float(s)
                else:
                    state.delays.pop(t, None)

    def _control_paths(self, body):
        self._obj(body, {"jwks", "discovery"})
        state = self.server.state
        for key in ("jwks", "discovery"):
            if key in body:
                p = body[key]
                if (not isinstance(p, str) or not p.startswith("/") or "?" in p
                        or p == CONTROL_PREFIX or p.startswith(CONTROL_PREFIX + "/")
                        or any(c.isspace() for c in p)):
                    raise BadRequest('"%s" must be an absolute path outside %s/' % (key, CONTROL_PREFIX))
        with state.lock:
            jwks = body.get("jwks", state.jwks_path)
            disc = body.get("discovery", state.discovery_path)
            if jwks == disc:
                raise BadRequest("the JWKS and discovery paths must differ")
            state.jwks_path, state.discovery_path = jwks, disc


# --------------------------------------------------------------------------- server

class IdpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, cfg):
        self.cfg = cfg
        self.address_family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
        super().__init__((cfg.host, cfg.port), Handler)

    def server_bind(self):
        # Skips HTTPServer.server_bind, whose getfqdn() may do a slow reverse lookup.
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.cfg.host
        self.server_port = self.server_address[1]

    def finish_request(self, request, client_address):
        conn = request
        ctx = self.cfg.ssl_context
        try:
            if ctx is not None:
                # TLS and plain HTTP share the port: a TLS record starts with 0x16.
                request.settimeout(HANDSHAKE_TIMEOUT)
                first = request.recv(1, socket.MSG_PEEK)
                if not first:
                    return
                if first[0] == 0x16:
                    conn = ctx.wrap_socket(request, server_side=True)
            conn.settimeout(self.cfg.idle_timeout)
        except (OSError, ValueError):
            if conn is not request:
                conn.close()
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            if conn is not request:
                try:
                    conn.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        if client_gone(sys.exc_info()[1]):
            return  # a client that went away is not an error
        sys.stderr.write("test_idp: internal error while serving %s:\n" % (client_address,))
        import traceback
        traceback.print_exc(file=sys.stderr)


# --------------------------------------------------------------------------- main

class Config:
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(description="Scriptable OIDC discovery + JWKS server for tests.")
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port, 0 = any free port (default)")
    p.add_argument("--tls-cert", help="PEM certificate (chain) to serve HTTPS with")
    p.add_argument("--tls-key", help="PEM private key for --tls-cert")
    p.add_argument("--issuer", help="issuer URL; {host} and {port} are replaced by the bound "
                   "address (default http(s)://HOST:PORT/application/o/test/)")
    p.add_argument("--issuer-from-host", action="store_true",
                   help="build the issuer and every discovery URL from the request's Host "
                   "and X-Forwarded-Proto headers, as Authentik does")
    p.add_argument("--jwks", metavar="FILE", help="initial JWKS document (default {\"keys\":[]})")
    p.add_argument("--jwks-path", default="/jwks", help="path of the JWKS (default /jwks)")
    p.add_argument("--discovery-path", help="path of the discovery document "
                   "(default: issuer path + .well-known/openid-configuration)")
    p.add_argument("--idle-timeout", type=float, default=120.0,
                   help="seconds an idle keep-alive connection is kept (default 120)")
    p.add_argument("--no-parent-watch", action="store_true",
                   help="do not exit when stdin reaches EOF or the parent process exits")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p.parse_args(argv)


def build_config(args):
    cfg = Config()
    cfg.verbose = args.verbose
    cfg.host = args.host
    try:
        addr = ipaddress.ip_address(args.host)
    except ValueError:
        raise SystemExit("test_idp: --host must be a loopback IP address, not %r" % args.host)
    if not addr.is_loopback:
        raise SystemExit("test_idp: --host must be a loopback address (got %s)" % args.host)
    if not 0 <= args.port <= 65535:
        raise SystemExit("test_idp: --port out of range")
    cfg.port = args.port
    cfg.issuer_from_host = args.issuer_from_host
    cfg.idle_timeout = args.idle_timeout if args.idle_timeout > 0 else None
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SystemExit("test_idp: --tls-cert and --tls-key go together")
    cfg.ssl_context = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as e:
            raise SystemExit("test_idp: cannot load the TLS certificate/key: %s" % e)
        cfg.ssl_context = ctx
    if args.jwks:
        try:
            with open(args.jwks, "rb") as f:
                cfg.initial_jwks = f.read()
        except OSError as e:
            raise SystemExit("test_idp: cannot read --jwks: %s" % e)
    else:
        cfg.initial_jwks = DEFAULT_JWKS
    if not args.jwks_path.startswith("/") or args.jwks_path.startswith(CONTROL_PREFIX):
        raise SystemExit("test_idp: --jwks-path must be an absolute path outside /_control")
    cfg.jwks_path = args.jwks_path
    return cfg


def finish_config(cfg, port, args):
    """Fills in what depends on the bound port."""
    host = cfg.host
    netloc_host = "[%s]" % host if ":" in host else host
    cfg.default_netloc = "%s:%d" % (netloc_host, port)
    scheme = "https" if cfg.ssl_context is not None else "http"
    if args.issuer:
        issuer = args.issuer.replace("{host}", netloc_host).replace("{port}", str(port))
        parts = urllib.parse.urlsplit(issuer)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise SystemExit("test_idp: --issuer must be an http(s) URL without query or fragment")
    else:
        issuer = "%s://%s/application/o/test/" % (scheme, cfg.default_netloc)
        parts = urllib.parse.urlsplit(issuer)
    cfg.issuer = issuer
    cfg.issuer_path = parts.path or "/"
    cfg.token_path = cfg.issuer_path.rstrip("/") + "/token/"  # the discovery's token_endpoint
    if args.discovery_path:
        if not args.discovery_path.startswith("/") or args.discovery_path.startswith(CONTROL_PREFIX):
            raise SystemExit("test_idp: --discovery-path must be an absolute path outside /_control")
        cfg.discovery_path = args.discovery_path
    else:
        path = parts.path
        cfg.discovery_path = (path if path.endswith("/") else path + "/") + ".well-known/openid-configuration"
    if cfg.discovery_path == cfg.jwks_path:
        raise SystemExit("test_idp: the JWKS and discovery paths must differ")


def watch_stdin():
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):
        STOP.set()
        return
    while not STOP.is_set():
        try:
            data = os.read(fd, 65536)
        except InterruptedError:
            continue
        except OSError:
            break
        if not data:
            break
    STOP.set()


def watch_parent(ppid):
    while not STOP.wait(0.5):
        if os.getppid() != ppid:
            STOP.set()


def main(argv=None):
    args = parse_args(argv)
    try:
        cfg = build_config(args)
        # Bind with the final config object; issuer details are filled in after bind.
        server = IdpServer(cfg)
        finish_config(cfg, server.server_address[1], args)
    except OSError as e:
        sys.stderr.write("test_idp: cannot listen on %s:%d: %s\n" % (args.host, args.port, e))
        return 2
    except SystemExit as e:
        sys.stderr.write("%s\n" % e)
        return 2
    server.state = State(cfg)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: STOP.set())
    if not args.no_parent_watch:
        threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
        threading.Thread(target=watch_parent, args=(os.getppid(),), name="parent-watch",
                         daemon=True).start()
    serve = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                             name="serve", daemon=True)
    serve.start()
    try:
        sys.stdout.write("READY %d\n" % server.server_address[1])
        sys.stdout.flush()
    except OSError:
        STOP.set()

    while not STOP.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    # Handler threads are daemons blocked in I/O or in STOP-aware waits; leave without
    # waiting for them (their sockets are closed by the exit).
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
