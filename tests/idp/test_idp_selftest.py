#!/usr/bin/env python3
"""Self-test of test_idp.py: starts it as a subprocess and checks every behaviour.

    python3 test_idp_selftest.py -v

Python standard library only; the TLS tests also need the openssl command line.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "test_idp.py")
MAKE_CA = os.path.join(HERE, "make_test_ca.sh")
DISCOVERY = "/application/o/test/.well-known/openid-configuration"


class Idp:
    """One server process, started the way a C++ fixture would start it."""

    def __init__(self, *args, expect_ready=True):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, SERVER, *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.port = None
        self.ready_line = None
        if expect_ready:
            self.ready_line = self._read_ready(10.0)
            assert self.ready_line.startswith(b"READY "), self.ready_line
            self.port = int(self.ready_line.split()[1])

    def _read_ready(self, timeout):
        fd = self.proc.stdout.fileno()
        buf = b""
        deadline = time.monotonic() + timeout
        while not buf.endswith(b"\n"):
            r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                raise AssertionError("no READY line within %ss" % timeout)
            chunk = os.read(fd, 1)
            if not chunk:
                raise AssertionError("server exited before READY: %r" % self.stderr_text())
            buf += chunk
        return buf

    def stderr_text(self):
        if self.stderr.closed:
            return self._stderr_text
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def conn(self, timeout=5.0):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=5.0):
        c = self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.headers, r.read()
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def control(self, name, body=None, method=None, expect=200):
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        method = method or ("GET" if name in ("requests", "state") else "POST")
        status, _, data = self.request(method, "/_control/" + name, body=body)
        if expect is not None:
            assert status == expect, (name, status, data)
        return json.loads(data) if data else None

    def stop(self, timeout=5.0):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rest = self.proc.stdout.read()
        self.proc.stdout.close()
        if not self.stderr.closed:
            self._stderr_text = self.stderr_text()
            self.stderr.close()
        return self.proc.returncode, rest


def raw_exchange(port, data, timeout=3.0):
    """Sends raw bytes; returns everything received until EOF (or raises)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.idp = Idp()
        cls.port = cls.idp.port

    @classmethod
    def tearDownClass(cls):
        rc, rest = cls.idp.stop()
        assert rc == 0, rc
        assert rest == b"", rest  # READY is the only stdout line
        assert cls.idp.stderr_text() == "", cls.idp.stderr_text()  # quiet by default

    def setUp(self):
        self.idp.control("reset")

    def test_ready_line(self):
        self.assertRegex(self.idp.ready_line.decode(), r"^READY [1-9][0-9]*\n$")

    def test_default_discovery(self):
        status, headers, body = self.idp.get(DISCOVERY)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(int(headers["Content-Length"]), len(body))
        doc = json.loads(body)
        origin = "http://127.0.0.1:%d" % self.port
        self.assertEqual(doc["issuer"], origin + "/application/o/test/")
        self.assertEqual(doc["jwks_uri"], origin + "/jwks")
        for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                    "end_session_endpoint", "revocation_endpoint", "introspection_endpoint"):
            self.assertTrue(doc[key].startswith(origin + "/"), key)
        self.assertEqual(doc["id_token_signing_alg_values_supported"], ["RS256"])
        self.assertIn("code", doc["response_types_supported"])
        self.assertIn("public", doc["subject_types_supported"])
        status, headers, body = self.idp.get("/jwks")
        self.assertEqual((status, body), (200, b'{"keys":[]}'))
        self.assertEqual(headers["Content-Type"], "application/json")

    def test_keep_alive_and_head(self):
        c = self.idp.conn()
        self.addCleanup(c.close)
        for path in (DISCOVERY, "/jwks", "/jwks"):
            c.request("GET", path)
            r = c.getresponse()
            self.assertIsNotNone(r.headers["Content-Length"])
            self.assertIsNone(r.headers["Connection"])
            r.read()
        c.request("HEAD", "/jwks")
        r = c.getresponse()
        self.assertEqual((r.status, r.headers["Content-Length"], r.read()), (200, "11", b""))
        log = self.idp.control("requests")["log"]
        self.assertEqual(len(log), 4)
        self.assertEqual(len({e["conn"] for e in log}), 1)  # one connection for all
        self.assertEqual(log[3]["method"], "HEAD")

    def test_http10_and_unknown_path(self):
        out = raw_exchange(self.port, b"GET /jwks HTTP/1.0\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 "), out)
        self.assertIn(b"\r\nConnection: close\r\n", out)
        self.assertTrue(out.endswith(b'\r\n\r\n{"keys":[]}'))
        status, _, _ = self.idp.get("/nope?x=1")
        self.assertEqual(status, 404)
        status, headers, _ = self.idp.request("POST", "/jwks", body=b"{}")
        self.assertEqual((status, headers["Allow"]), (405, "GET, HEAD"))
        counts = self.idp.control("requests")
        self.assertEqual((counts["/jwks"], counts["other"], counts["total"]), (2, 1, 3))
        self.assertEqual(counts["log"][1]["query"], "x=1")

    def test_control_jwks_is_served_verbatim(self):
        text = b'{ "keys" : [ {"kty":"oct","kid":"a\\u00e9","k":"AAAA"} ] ,"x":1 }\n'
        self.idp.control("jwks", text)
        status, headers, body = self.idp.get("/jwks")
        self.assertEqual((status, body), (200, text))
        self.assertEqual(headers["Content-Type"], "application/json")
        self.idp.control("jwks", b"not json at all")
        self.assertEqual(self.idp.get("/jwks")[2], b"not json at all")

    def test_control_discovery_merge_replace_raw(self):
        self.idp.control("discovery", {"issuer": "https://wrong.example/",
                                       "userinfo_endpoint": None,
                                       "id_token_signing_alg_values_supported": ["ES256"]})
        doc = json.loads(self.idp.get(DISCOVERY)[2])
        self.assertEqual(doc["issuer"], "https://wrong.example/")
        self.assertNotIn("userinfo_endpoint", doc)
        self.assertEqual(doc["id_token_signing_alg_values_supported"], ["ES256"])
        self.assertEqual(doc["jwks_uri"], "http://127.0.0.1:%d/jwks" % self.port)
        # A new merge replaces the previous one rather than accumulating.
        self.idp.control("discovery", {"token_endpoint": "https://t.example/"})
        doc = json.loads(self.idp.get(DISCOVERY)[2])
        self.assertEqual(doc["issuer"], "http://127.0.0.1:%d/application/o/test/" % self.port)
        self.idp.control("discovery", {"__replace__": {"issuer": "x"}})
        self.assertEqual(json.loads(self.idp.get(DISCOVERY)[2]), {"issuer": "x"})
        self.idp.control("discovery", {"__raw__": '{"issuer":"a","issuer":"b"}'})
        self.assertEqual(self.idp.get(DISCOVERY)[2], b'{"issuer":"a","issuer":"b"}')
        self.idp.control("discovery", {})
        self.assertIn("jwks_uri", json.loads(self.idp.get(DISCOVERY)[2]))

    def test_mode_status(self):
        self.idp.control("mode", {"path": "/jwks", "mode": "status", "status": 500})
        for _ in range(2):
            status, headers, body = self.idp.get("/jwks")
            self.assertEqual(status, 500)
            self.assertLess(len(body), 200)
            self.assertEqual(int(headers["Content-Length"]), len(body))
        self.assertEqual(self.idp.get(DISCOVERY)[0], 200)
        self.idp.control("mode", {"path": "discovery", "mode": "status", "status": 404,
                                  "body": "gone", "content_type": "text/plain"})
        status, headers, body = self.idp.get(DISCOVERY)
        self.assertEqual((status, headers["Content-Type"], body), (404, "text/plain", b"gone"))
        self.idp.control("mode", {"path": "*", "mode": "normal"})
        self.assertEqual(self.idp.get("/jwks")[0], 200)
        self.assertEqual(self.idp.get(DISCOVERY)[0], 200)
        # 304 has no body and keeps the connection usable.
        self.idp.control("mode", {"path": "/jwks", "mode": "status", "status": 304, "once": True})
        c = self.idp.conn()
        self.addCleanup(c.close)
        c.request("GET", "/jwks", headers={"If-None-Match": '"v1"'})
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (304, b""))
        c.request("GET", "/jwks")
        self.assertEqual(c.getresponse().read(), b'{"keys":[]}')
        log = self.idp.control("requests")["log"]
        self.assertEqual(log[-2]["headers"]["If-None-Match"], '"v1"')

    def test_mode_once(self):
        self.idp.control("mode", {"path": "*", "mode": "status", "status": 503, "once": True})
        self.assertEqual(self.idp.get("/jwks")[0], 503)
        self.assertEqual(self.idp.get("/jwks")[0], 200)
        self.assertEqual(self.idp.get(DISCOVERY)[0], 503)
        self.assertEqual(self.idp.get(DISCOVERY)[0], 200)
        self.idp.control("mode", {"path": "/jwks", "mode": "close", "once": True})
        with self.assertRaises(http.client.RemoteDisconnected):
            self.idp.get("/jwks")
        self.assertEqual(self.idp.get("/jwks")[0], 200)

    def test_mode_hang(self):
        self.idp.control("mode", {"path": "/jwks", "mode": "hang"})
        t0 = time.monotonic()
        with self.assertRaises(TimeoutError):
            self.idp.get("/jwks", timeout=0.4)
        self.assertGreaterEqual(time.monotonic() - t0, 0.35)
        self.assertEqual(self.idp.control("requests")["/jwks"], 1)
        self.assertEqual(self.idp.get(DISCOVERY)[0], 200)  # other paths unaffected
        # With "seconds", the server gives up and closes without answering.
        self.idp.control("mode", {"path": "/jwks", "mode": "hang", "seconds": 0.3})
        t0 = time.monotonic()
        with self.assertRaises(http.client.RemoteDisconnected):
            self.idp.get("/jwks", timeout=5)
        self.assertTrue(0.25 <= time.monotonic() - t0 < 2.0)

    def test_mode_close(self):
        self.idp.control("mode", {"path": "/jwks", "mode": "close"})
        with self.assertRaises(http.client.RemoteDisconnected):
            self.idp.get("/jwks")
        self.assertEqual(raw_exchange(self.port, b"GET /jwks HTTP/1.1\r\nHost: x\r\n\r\n"), b"")
        self.idp.control("mode", {"path": "/jwks", "mode": "close", "reset": True})
        with self.assertRaises(ConnectionResetError):
            raw_exchange(self.port, b"GET /jwks HTTP/1.1\r\nHost: x\r\n\r\n")

    def test_mode_huge(self):
        self.idp.control("mode", {"path": "/jwks", "mode": "huge"})
        c = self.idp.conn()
        self.addCleanup(c.close)
        c.request("GET", "/jwks")
        r = c.getresponse()
        body = r.read()
        self.assertEqual(int(r.headers["Content-Length"]), 5 * 1024 * 1024)
        self.assertEqual(len(body), 5 * 1024 * 1024)
        self.assertTrue(body.startswith(b'{"keys":[{"kty":"RSA"'))
        self.idp.control("mode", {"path": "/jwks", "mode": "huge", "bytes": 100000,
                                  "chunked": True})
        c.request("GET", "/jwks")  # same keep-alive connection
        r = c.getresponse()
        self.assertIsNone(r.headers["Content-Length"])
        self.assertEqual(r.headers["Transfer-Encoding"], "chunked")
        self.assertEqual(len(r.read()), 100000)
        self.idp.control("mode", {"path": "discovery", "mode": "huge", "bytes": 5})
        self.assertEqual(self.idp.get(DISCOVERY)[2], b'{"iss')

    def test_mode_bad_bodies(self):
        self.idp.control("mode", {"path": "/jwks", "mode": "invalid_json"})
        status, headers, body = self.idp.get("/jwks")
        self.assertEqual((status, body), (200, b'{"keys": ['))
        with self.assertRaises(ValueError):
            json.loads(body)
        self.idp.control("mode", {"path": "/jwks", "mode": "wrong_content"})
        status, headers, body = self.idp.get("/jwks")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertIn(b"<html>", body)
        self.idp.control("jwks", b'{"keys":[{"kty":"oct","k":"AA"}]}')
        self.idp.control("mode", {"path": "/jwks", "mode": "empty_set"})
        self.assertEqual(self.idp.get("/jwks")[2], b'{"keys":[]}')

    def test_mode_slow(self):
        text = b'{"keys":[],"x":"abc"}'  # 21 bytes
        self.idp.control("jwks", text)
        self.idp.control("mode", {"path": "/jwks", "mode": "slow", "interval": 0.04})
        c = self.idp.conn()
        self.addCleanup(c.close)
        t0 = time.monotonic()
        c.request("GET", "/jwks")
        r = c.getresponse()
        self.assertLess(time.monotonic() - t0, 0.3)  # headers come at once
        self.assertEqual(int(r.headers["Content-Length"]), len(text))
        self.assertEqual(r.read(), text)
        self.assertGreaterEqual(time.monotonic() - t0, 0.04 * (len(text) - 1) * 0.9)
        # A client giving up mid-drip is fine.
        self.idp.control("mode", {"path": "/jwks", "mode": "slow", "interval": 5})
        with self.assertRaises(TimeoutError):
            self.idp.get("/jwks", timeout=0.3)

    def test_headers(self):
        self.idp.control("headers", {"path": "/jwks", "headers": {
            "Cache-Control": "max-age=30", "Date": "Mon, 01 Jan 2024 00:00:00 GMT",
            "ETag": '"v1"', "Set-Cookie": ["a=1", "b=2"]}})
        status, headers, _ = self.idp.get("/jwks")
        self.assertEqual(headers["Cache-Control"], "max-age=30")
        self.assertEqual(headers.get_all("Date"), ["Mon, 01 Jan 2024 00:00:00 GMT"])
        self.assertEqual(headers["ETag"], '"v1"')
        self.assertEqual(headers.get_all("Set-Cookie"), ["a=1", "b=2"])
        self.assertIsNone(self.idp.get(DISCOVERY)[1]["Cache-Control"])
        # Headers also go with injected statuses; None removes a default header.
        self.idp.control("headers", {"path": "*", "headers": {"Retry-After": "1", "Date": None}})
        self.idp.control("mode", {"path": "discovery", "mode": "status", "status": 503})
        status, headers, _ = self.idp.get(DISCOVERY)
        self.assertEqual((status, headers["Retry-After"], headers["Date"]), (503, "1", None))
        self.idp.control("headers", {"path": "*", "headers": {}})
        self.assertIsNotNone(self.idp.get("/jwks")[1]["Date"])
        self.idp.control("headers", {"path": "/jwks", "headers": {"Content-Length": "1"}}, expect=400)
        self.idp.control("headers", {"path": "/jwks", "headers": {"X": "a\r\nB: c"}}, expect=400)

    def test_requests_log_and_reset_counts(self):
        self.idp.get("/jwks", headers={"Host": "auth.example.com", "X-Forwarded-Proto": "https",
                                       "X-Forwarded-Host": "outer.example.com"})
        self.idp.get(DISCOVERY)
        self.idp.get(DISCOVERY)
        self.idp.control("state")
        rep = self.idp.control("requests")
        self.assertEqual((rep["/jwks"], rep["discovery"], rep["total"]), (1, 2, 3))
        self.assertEqual(rep["by_path"], {"/jwks": 1, DISCOVERY: 2})
        first = rep["log"][0]
        self.assertEqual((first["path"], first["method"], first["host"],
                          first["x_forwarded_proto"], first["x_forwarded_host"]),
                         ("/jwks", "GET", "auth.example.com", "https", "outer.example.com"))
        self.assertAlmostEqual(first["ts"], time.time(), delta=10)
        self.assertIsNone(rep["log"][1]["x_forwarded_proto"])
        self.idp.control("reset_counts")
        rep = self.idp.control("requests")
        self.assertEqual((rep["/jwks"], rep["discovery"], rep["total"], rep["log"]), (0, 0, 0, []))
        c = self.idp.conn()
        self.addCleanup(c.close)
        for i in range(1005):
            c.request("GET", "/jwks?i=%d" % i)
            c.getresponse().read()
        rep = self.idp.control("requests")
        self.assertEqual((rep["/jwks"], len(rep["log"])), (1005, 1000))
        self.assertEqual(rep["log"][0]["query"], "i=5")

    def test_delay_makes_requests_overlap(self):
        self.idp.control("delay", {"path": "/jwks", "seconds": 0.4})
        results = []

        def fetch():
            t0 = time.monotonic()
            status = self.idp.get("/jwks")[0]
            results.append((status, time.monotonic() - t0))

        t0 = time.monotonic()
        threads = [threading.Thread(target=fetch) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = time.monotonic() - t0
        self.assertEqual([s for s, _ in results], [200] * 6)
        self.assertTrue(all(d >= 0.38 for _, d in results), results)
        self.assertLess(total, 1.5)  # 6 x 0.4 s had they been serialised
        ts = [e["ts"] for e in self.idp.control("requests")["log"]]
        self.assertLess(max(ts) - min(ts), 0.35)  # all arrived while the first was delayed
        self.assertLess(self.idp.get(DISCOVERY, timeout=5)[0], 300)
        self.idp.control("delay", {"path": "/jwks", "seconds": 0})
        t0 = time.monotonic()
        self.idp.get("/jwks")
        self.assertLess(time.monotonic() - t0, 0.3)

    def test_token_endpoint(self):
        path = "/application/o/test/token/"
        doc = json.loads(self.idp.get(DISCOVERY)[2])
        self.assertEqual(doc["token_endpoint"], "http://127.0.0.1:%d%s" % (self.port, path))
        form = b"grant_type=client_credentials&client_id=a&client_secret=b"
        status, headers, body = self.idp.request("POST", path, body=form)
        self.assertEqual((status, json.loads(body)), (400, {"error": "invalid_client"}))
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.idp.control("token", {"status": 401, "body": {"error": "invalid_client",
                                                           "error_description": "bad secret"}})
        status, _, body = self.idp.request("POST", path, body=form)
        self.assertEqual((status, json.loads(body)["error_description"]), (401, "bad secret"))
        self.idp.control("token", {"status": 200, "body": "plain", "content_type": "text/plain"})
        status, headers, body = self.idp.request("POST", path, body=form)
        self.assertEqual((status, headers["Content-Type"], body), (200, "text/plain", b"plain"))
        status, headers, _ = self.idp.get(path)
        self.assertEqual((status, headers["Allow"]), (405, "POST"))
        self.idp.control("token", {"status": 99}, expect=400)
        self.idp.control("token", {"stauts": 400}, expect=400)
        self.idp.control("token", {})
        self.assertEqual(self.idp.request("POST", path, body=form)[0], 400)
        counts = self.idp.control("requests")
        self.assertEqual((counts["token"], counts["other"], counts["total"]), (5, 0, 6))
        self.assertEqual(counts["log"][1]["target"], "token")
        self.assertEqual(counts["log"][1]["method"], "POST")

    def test_paths(self):
        self.idp.control("paths", {"jwks": "/keys", "discovery": "/x/.well-known/openid-configuration"})
        self.assertEqual(self.idp.get("/jwks")[0], 404)
        self.assertEqual(self.idp.get(DISCOVERY)[0], 404)
        self.assertEqual(self.idp.get("/keys")[0], 200)
        doc = json.loads(self.idp.get("/x/.well-known/openid-configuration")[2])
        self.assertEqual(doc["jwks_uri"], "http://127.0.0.1:%d/keys" % self.port)
        self.idp.control("mode", {"path": "/keys", "mode": "status", "status": 502})
        self.assertEqual(self.idp.get("/keys")[0], 502)
        self.assertEqual(self.idp.control("requests")["/jwks"], 2)
        self.idp.control("paths", {"jwks": "/_control/x"}, expect=400)

    def test_bad_control_requests(self):
        self.idp.control("mode", {"path": "/jwks", "mode": "explode"}, expect=400)
        self.idp.control("mode", {"path": "/other", "mode": "normal"}, expect=400)
        self.idp.control("mode", {"path": "/jwks", "mode": "status", "stauts": 500}, expect=400)
        self.idp.control("mode", {"path": "/jwks", "mode": "hang", "bytes": 5}, expect=400)
        self.idp.control("mode", {"path": "/jwks", "mode": "status", "status": 99}, expect=400)
        self.idp.control("mode", b"{not json", expect=400)
        self.idp.control("delay", {"path": "/jwks", "seconds": -1}, expect=400)
        self.idp.control("nope", {}, expect=404)
        self.idp.control("mode", method="GET", expect=405)
        self.idp.control("requests", method="POST", expect=405)
        self.assertEqual(self.idp.control("requests")["total"], 0)  # control is not counted
        self.assertEqual(self.idp.get("/jwks")[0], 200)

    def test_client_disconnects_do_not_hurt(self):
        self.idp.control("mode", {"path": "/jwks", "mode": "huge", "bytes": 200 * 1024 * 1024})
        for _ in range(5):
            with socket.create_connection(("127.0.0.1", self.port), timeout=3) as s:
                s.sendall(b"GET /jwks HTTP/1.1\r\nHost: x\r\n\r\n")
                s.recv(65536)
            # closed with ~200 MiB unsent
        self.idp.control("mode", {"path": "/jwks", "mode": "huge", "bytes": 50 * 1024 * 1024,
                                  "chunked": True})
        with socket.create_connection(("127.0.0.1", self.port), timeout=3) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.sendall(b"GET /jwks HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(1000)  # then reset
        self.idp.control("mode", {"path": "/jwks", "mode": "normal"})
        # Half a request, then gone.
        with socket.create_connection(("127.0.0.1", self.port), timeout=3) as s:
            s.sendall(b"GET /jw")
        self.assertEqual(self.idp.get("/jwks")[0], 200)
        self.assertEqual(self.idp.proc.poll(), None)


class FromHostTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.idp = Idp("--issuer-from-host")

    @classmethod
    def tearDownClass(cls):
        rc, _ = cls.idp.stop()
        assert rc == 0

    def test_issuer_and_urls_follow_host_and_proto(self):
        _, _, body = self.idp.get(DISCOVERY, headers={"Host": "auth.example.com",
                                                      "X-Forwarded-Proto": "https"})
        doc = json.loads(body)
        self.assertEqual(doc["issuer"], "https://auth.example.com/application/o/test/")
        self.assertEqual(doc["jwks_uri"], "https://auth.example.com/jwks")
        for key, value in doc.items():
            if key.endswith("_endpoint") or key.endswith("_uri"):
                self.assertTrue(value.startswith("https://auth.example.com/"), (key, value))

    def test_defaults(self):
        doc = json.loads(self.idp.get(DISCOVERY)[2])  # Host: 127.0.0.1:PORT
        self.assertEqual(doc["issuer"], "http://127.0.0.1:%d/application/o/test/" % self.idp.port)
        doc = json.loads(self.idp.get(DISCOVERY, headers={"Host": "a.example:8443",
                                                          "X-Forwarded-Proto": "gopher"})[2])
        self.assertEqual(doc["issuer"], "http://a.example:8443/application/o/test/")
        self.idp.control("discovery", {"end_session_endpoint": None})
        doc = json.loads(self.idp.get(DISCOVERY, headers={"Host": "b.example"})[2])
        self.assertEqual(doc["issuer"], "http://b.example/application/o/test/")
        self.assertNotIn("end_session_endpoint", doc)
        self.idp.control("reset")


class IssuerOptionTest(unittest.TestCase):
    def test_issuer_placeholders_paths_and_initial_jwks(self):
        with tempfile.NamedTemporaryFile("wb", suffix=".json", delete=False) as f:
            f.write(b'{"keys":[{"kty":"oct","k":"AA"}]}')
        self.addCleanup(os.unlink, f.name)
        idp = Idp("--issuer", "http://{host}:{port}/realms/test", "--jwks", f.name,
                  "--jwks-path", "/certs")
        try:
            doc = json.loads(idp.get("/realms/test/.well-known/openid-configuration")[2])
            self.assertEqual(doc["issuer"], "http://127.0.0.1:%d/realms/test" % idp.port)
            self.assertEqual(doc["jwks_uri"], "http://127.0.0.1:%d/certs" % idp.port)
            self.assertEqual(idp.get("/certs")[2], b'{"keys":[{"kty":"oct","k":"AA"}]}')
            idp.control("jwks", b"{}")
            idp.control("reset")  # back to the startup document
            self.assertEqual(idp.get("/certs")[2], b'{"keys":[{"kty":"oct","k":"AA"}]}')
        finally:
            self.assertEqual(idp.stop()[0], 0)


@unittest.skipUnless(shutil.which("openssl"), "needs the openssl command line")
class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="test_idp_tls.")
        for sub in ("good", "other"):
            subprocess.run(["sh", MAKE_CA, os.path.join(cls.tmp, sub)], check=True)
        d = os.path.join(cls.tmp, "good")
        cls.idp = Idp("--tls-cert", os.path.join(d, "server.pem"),
                      "--tls-key", os.path.join(d, "server.key"))
        cls.ctx = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))

    def setUp(self):
        self.idp.control("reset")

    @classmethod
    def tearDownClass(cls):
        rc, _ = cls.idp.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0
        assert cls.idp.stderr_text() == "", cls.idp.stderr_text()

    def https_get(self, path, ctx=None, headers=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.idp.port, timeout=5,
                                        context=ctx or self.ctx)
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def test_https_documents(self):
        status, body = self.https_get(DISCOVERY)
        doc = json.loads(body)
        self.assertEqual(doc["issuer"], "https://127.0.0.1:%d/application/o/test/" % self.idp.port)
        self.assertEqual(doc["jwks_uri"], "https://127.0.0.1:%d/jwks" % self.idp.port)
        self.assertEqual(self.https_get("/jwks"), (200, b'{"keys":[]}'))

    def test_localhost_name_verifies(self):
        with socket.create_connection(("127.0.0.1", self.idp.port), timeout=5) as raw:
            with self.ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET /jwks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 200 "))

    def test_untrusted_ca_fails_and_server_survives(self):
        other = ssl.create_default_context(cafile=os.path.join(self.tmp, "other", "ca.pem"))
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.https_get("/jwks", ctx=other)
        self.assertEqual(self.https_get("/jwks")[0], 200)

    def test_plain_control_on_tls_port(self):
        self.idp.control("mode", {"path": "/jwks", "mode": "status", "status": 500, "once": True})
        self.assertEqual(self.https_get("/jwks")[0], 500)
        status, _, _ = self.idp.get("/jwks")  # plain HTTP for a document: refused
        self.assertEqual(status, 400)
        rep = self.idp.control("requests")
        self.assertTrue(rep["log"][0]["tls"])
        self.assertEqual((rep["/jwks"], rep["other"]), (1, 1))

    def test_tls_from_host_default_scheme(self):
        d = os.path.join(self.tmp, "good")
        idp = Idp("--issuer-from-host", "--tls-cert", os.path.join(d, "server.pem"),
                  "--tls-key", os.path.join(d, "server.key"))
        try:
            c = http.client.HTTPSConnection("127.0.0.1", idp.port, timeout=5, context=self.ctx)
            c.request("GET", DISCOVERY, headers={"Host": "auth.example.com"})
            doc = json.loads(c.getresponse().read())
            c.close()
            self.assertEqual(doc["issuer"], "https://auth.example.com/application/o/test/")
        finally:
            self.assertEqual(idp.stop()[0], 0)


class LifecycleTest(unittest.TestCase):
    def _busy(self, idp):
        """Leaves a hung, a dripping and a streaming response in progress."""
        idp.control("mode", {"path": "/jwks", "mode": "hang"})
        idp.control("mode", {"path": "discovery", "mode": "slow", "interval": 5})
        socks = []
        for path in ("/jwks", DISCOVERY):
            s = socket.create_connection(("127.0.0.1", idp.port), timeout=5)
            s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
            socks.append(s)
        deadline = time.monotonic() + 3
        while idp.control("requests")["total"] < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        return socks

    def test_exits_when_stdin_closes(self):
        idp = Idp()
        socks = self._busy(idp)
        t0 = time.monotonic()
        idp.proc.stdin.close()
        rc = idp.proc.wait(5)
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertEqual(rc, 0)
        for s in socks:
            s.settimeout(2)
            try:
                while s.recv(65536):
                    pass  # connection ends (EOF or reset) once the server is gone
            except ConnectionResetError:
                pass
            s.close()
        rc, rest = idp.stop()
        self.assertEqual(rest, b"")

    def test_exits_on_sigterm(self):
        idp = Idp()
        socks = self._busy(idp)
        t0 = time.monotonic()
        idp.proc.send_signal(signal.SIGTERM)
        self.assertEqual(idp.proc.wait(5), 0)
        self.assertLess(time.monotonic() - t0, 2.0)
        for s in socks:
            s.close()
        self.assertEqual(idp.stop()[1], b"")
        self.assertEqual(idp.stderr_text(), "")

    def test_control_shutdown(self):
        idp = Idp()
        idp.control("shutdown")
        self.assertEqual(idp.proc.wait(5), 0)
        idp.stop()

    def test_startup_errors(self):
        for args in (["--host", "10.1.2.3"], ["--tls-cert", "/nonexistent.pem", "--tls-key", "/x"],
                     ["--tls-cert", "only-cert.pem"], ["--issuer", "ftp://x/"]):
            idp = Idp(*args, expect_ready=False)
            rc, out = idp.stop()
            self.assertEqual((rc, out), (2, b""), args)
            self.assertNotEqual(idp.stderr_text(), "")

    def test_port_in_use(self):
        a = Idp()
        try:
            b = Idp("--port", str(a.port), expect_ready=False)
            self.assertEqual(b.stop(), (2, b""))
        finally:
            a.stop()


if __name__ == "__main__":
    unittest.main()
