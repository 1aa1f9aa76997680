"""Smoke test of drive.py against server.mjs (run by ctest as oidc_provider_py_selftest)."""

from __future__ import annotations

import base64
import hashlib
import http.cookiejar
import json
import os
import secrets
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from drive import DriveError, drive_login, drive_logout, start_provider  # noqa: E402

REDIRECT = "http://127.0.0.1:3000/auth/callback"
BYE = "http://127.0.0.1:3000/bye"


def main() -> int:
    with start_provider(["--post-logout-redirect-uri", BYE]) as idp:
        with urllib.request.urlopen(f"{idp.issuer}.well-known/openid-configuration", timeout=10) as res:
            discovery = json.loads(res.read().decode())
        assert discovery["issuer"] == idp.issuer, discovery

        verifier = secrets.token_urlsafe(32)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_hex(8)
        query = urllib.parse.urlencode(
            {
                "client_id": idp.client_id,
                "response_type": "code",
                "redirect_uri": REDIRECT,
                "scope": "openid email profile",
                "state": state,
                "nonce": secrets.token_hex(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        jar = http.cookiejar.CookieJar()
        callback = drive_login(f"{discovery['authorization_endpoint']}?{query}", "alice", "alice-password", jar=jar)
        parts = urllib.parse.urlsplit(callback)
        params = urllib.parse.parse_qs(parts.query)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT, callback
        assert params.get("state") == [state], callback
        assert params.get("code"), callback

        try:
            drive_login(f"{discovery['authorization_endpoint']}?{query}", "bob", "wrong")
            raise AssertionError("a wrong password was accepted")
        except DriveError as err:
            assert "Invalid username or password" in str(err), err

        logout = f"{discovery['end_session_endpoint']}?" + urllib.parse.urlencode(
            {"client_id": idp.client_id, "post_logout_redirect_uri": BYE, "state": "s1"}
        )
        assert drive_logout(logout, jar=jar) == f"{BYE}?state=s1"
        assert idp.control("reset") == {"reset": True}
    print("oidc_provider drive.py: 3 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
