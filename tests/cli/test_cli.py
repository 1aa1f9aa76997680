"""The `oidcore` command line, as a person debugging an integration uses it.

Contract under test (see the CLI's usage text):
  exit 0  the token is valid: the claims as one JSON object on stdout, nothing on stderr;
  exit 1  the token is rejected: exactly one line `CODE: message` on stderr, nothing on stdout;
  exit 2  usage errors (missing or unknown options, bad numbers, unusable option values).

usage: python3 test_cli.py --cli PATH --sample-token PATH --header PATH/oidcore.h [unittest args]
A fresh key set and tokens are written by the sample_token program into a temporary folder.
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

ISSUER = "https://idp.example.com/application/o/cli-tests/"
AUDIENCE = "cli-tests"
CODE_LINE = re.compile(r"^([a-z_]+): (\S.*)\n$")

CLI = None
SAMPLE_TOKEN = None
HEADER = None


def b64url_json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="oidcore-cli-")
        subprocess.run([SAMPLE_TOKEN, cls.dir, ISSUER, AUDIENCE], check=True)
        cls.jwks = os.path.join(cls.dir, "jwks.json")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    # -- helpers -------------------------------------------------------------------------

    def token(self, name):
        with open(os.path.join(self.dir, name), encoding="ascii") as f:
            return f.read().strip()

    def claims_of(self, name):
        return b64url_json(self.token(name).split(".")[1])

    def run_cli(self, *args, stdin=None):
        return subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=60)

    def verify(self, *options, token=None, stdin=None, base=True):
        args = ["verify"]
        if base:
            args += ["--jwks", self.jwks, "--issuer", ISSUER, "--audience", AUDIENCE]
        args += list(options)
        if token is not None:
            args.append(token)
        return self.run_cli(*args, stdin=stdin)

    def assert_valid(self, proc, expected_claims=None):
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        self.assertTrue(proc.stdout.endswith("\n"))
        self.assertEqual(proc.stdout.count("\n"), 1, "claims are one line")
        claims = json.loads(proc.stdout)
        self.assertIsInstance(claims, dict)
        if expected_claims is not None:
            self.assertEqual(claims, expected_claims)
        return claims

    def assert_rejected(self, proc, code):
        self.assertEqual(proc.returncode, 1, f"stdout={proc.stdout!r} stderr={proc.stderr!r}")
        self.assertEqual(proc.stdout, "")
        m = CODE_LINE.match(proc.stderr)
        self.assertIsNotNone(m, f"stderr is not exactly one 'CODE: message' line: {proc.stderr!r}")
        self.assertEqual(m.group(1), code, proc.stderr)
        return m.group(2)

    def assert_usage(self, proc, mention=None):
        self.assertEqual(proc.returncode, 2, f"stdout={proc.stdout!r} stderr={proc.stderr!r}")
        self.assertEqual(proc.stdout, "")
        self.assertNotEqual(proc.stderr, "")
        if mention is not None:
            self.assertIn(mention, proc.stderr)

    # -- valid tokens ----------------------------------------------------------------------

    def test_valid_token_argument(self):
        for name in ("rs256.jwt", "es256.jwt", "eddsa.jwt"):
            with self.subTest(token=name):
                claims = self.assert_valid(self.verify(token=self.token(name)), self.claims_of(name))
                self.assertEqual(claims["iss"], ISSUER)
                self.assertEqual(claims["aud"], AUDIENCE)

    def test_valid_token_stdin(self):
        text = self.token("rs256.jwt")
        expected = self.claims_of("rs256.jwt")
        self.assert_valid(self.verify(token="-", stdin=text + "\n"), expected)
        self.assert_valid(self.verify(token="-", stdin=text + "\r\n"), expected)
        self.assert_valid(self.verify(token="-", stdin=text), expected)
        # No token argument at all: standard input too.
        self.assert_valid(self.verify(stdin=text + "\n"), expected)

    def test_stdin_only_strips_line_ends(self):
        text = self.token("es256.jwt")
        self.assert_rejected(self.verify(token="-", stdin=" " + text + "\n"), "malformed")
        self.assert_rejected(self.verify(token="-", stdin=text + "\n\n" + text + "\n"), "malformed")
        self.assert_rejected(self.verify(token="-", stdin=""), "malformed")

    def test_several_audiences(self):
        proc = self.verify("--audience", "another-api", token=self.token("wrong-audience.jwt"))
        self.assertEqual(self.assert_valid(proc)["aud"], "another-api")

    # -- rejections --------------------------------------------------------------------------

    def test_rejected_tokens(self):
        for name, code in [
            ("tampered.jwt", "bad_signature"),
            ("expired.jwt", "expired"),
            ("wrong-audience.jwt", "bad_audience"),
            ("alg-none.jwt", "unsupported_alg"),
        ]:
            with self.subTest(token=name):
                self.assert_rejected(self.verify(token=self.token(name)), code)
                self.assert_rejected(self.verify(token="-", stdin=self.token(name) + "\n"), code)

    def test_rejected_garbage(self):
        self.assert_rejected(self.verify(token="not-a-token"), "malformed")
        self.assert_rejected(self.verify(token="a.b.c.d"), "malformed")
        self.assert_rejected(self.verify(token="-", stdin="\x01\x02.\x03\x04.\x05\n"), "malformed")

    def test_wrong_issuer(self):
        proc = self.run_cli("verify", "--jwks", self.jwks, "--issuer", "https://evil.example/", "--audience", AUDIENCE,
                            self.token("rs256.jwt"))
        self.assert_rejected(proc, "bad_issuer")

    def test_hostile_bytes_stay_on_one_line(self):
        # A header whose alg and kid carry line breaks and escape sequences: the message
        # must stay one printable line.
        header = base64.urlsafe_b64encode(b'{"alg":"RS256\\n\\u001b[31mX","kid":"a\\nb"}').rstrip(b"=").decode()
        token = header + "." + self.token("rs256.jwt").split(".", 1)[1]
        message = self.assert_rejected(self.verify(token=token), "unsupported_alg")
        self.assertNotIn("\x1b", message)
        header = base64.urlsafe_b64encode(b'{"alg":"RS256","kid":"line1\\nline2\\u0000"}').rstrip(b"=").decode()
        token = header + "." + self.token("rs256.jwt").split(".", 1)[1]
        self.assert_rejected(self.verify(token=token), "key_not_found")

    # -- options -------------------------------------------------------------------------------

    def test_version(self):
        with open(HEADER, encoding="utf-8") as f:
            version = re.search(r'#define OIDCORE_VERSION_STRING "([^"]+)"', f.read()).group(1)
        for flag in ("--version", "version"):
            proc = self.run_cli(flag)
            self.assertEqual(proc.returncode, 0)
            self.assertEqual(proc.stderr, "")
            self.assertRegex(proc.stdout, r"^oidcore " + re.escape(version) + r" \(ABI \d+\)\n$")

    def test_help(self):
        proc = self.run_cli("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("oidcore verify", proc.stdout)

    def test_now(self):
        expired = self.claims_of("expired.jwt")
        exp, iat = expired["exp"], expired["iat"]
        token = self.token("expired.jwt")
        # Valid during its lifetime, rejected from `exp` on (RFC 7519: "on or after").
        self.assert_valid(self.verify("--now", str(exp - 1), token=token), expired)
        self.assert_valid(self.verify("--now", str(iat), token=token), expired)
        self.assert_rejected(self.verify("--now", str(exp), token=token), "expired")
        # Before it was issued.
        self.assert_rejected(self.verify("--now", str(iat - 1), token=token), "issued_in_future")
        valid = self.token("rs256.jwt")
        self.assert_rejected(self.verify("--now", str(self.claims_of("rs256.jwt")["exp"] + 1), token=valid), "expired")
        self.assert_rejected(self.verify("--now", "0", token=valid), "issued_in_future")

    def test_clock_tolerance(self):
        token = self.token("expired.jwt")
        exp = self.claims_of("expired.jwt")["exp"]
        now = str(exp + 20)
        self.assert_rejected(self.verify("--now", now, token=token), "expired")
        self.assert_rejected(self.verify("--now", now, "--clock-tolerance", "20", token=token), "expired")
        self.assert_valid(self.verify("--now", now, "--clock-tolerance", "21", token=token))
        self.assert_valid(self.verify("--now", now, "--clock-tolerance", "300", token=token))
        # iat in the future is forgiven within the tolerance too.
        iat = self.claims_of("rs256.jwt")["iat"]
        valid = self.token("rs256.jwt")
        self.assert_rejected(self.verify("--now", str(iat - 10), "--clock-tolerance", "5", token=valid), "issued_in_future")
        self.assert_valid(self.verify("--now", str(iat - 10), "--clock-tolerance", "10", token=valid))
        # Over the library's bound (five minutes): refused as a bad option value.
        proc = self.verify("--clock-tolerance", "301", token=valid)
        self.assert_usage(proc, "clock_tolerance")
        self.assertRegex(proc.stderr, r"^invalid_config: ")

    def test_algorithms(self):
        rs, es, ed = self.token("rs256.jwt"), self.token("es256.jwt"), self.token("eddsa.jwt")
        self.assert_valid(self.verify("--algorithms", "RS256", token=rs))
        self.assert_valid(self.verify("--algorithms", "ES256,EdDSA", token=ed))
        self.assert_valid(self.verify("--algorithms", "RS256,,ES256", token=es))
        self.assert_rejected(self.verify("--algorithms", "ES256,EdDSA", token=rs), "alg_not_allowed")
        self.assert_rejected(self.verify("--algorithms", "RS256", token=es), "alg_not_allowed")
        self.assert_rejected(self.verify("--algorithms", "PS256,RS256", token=ed), "alg_not_allowed")
        # Values the library refuses: usage errors naming the option.
        self.assert_usage(self.verify("--algorithms", "none", token=rs), "algorithms")
        self.assert_usage(self.verify("--algorithms", "RS257", token=rs), "algorithms")
        # HS256 allowed but the key set has no symmetric key: nothing could ever verify.
        self.assert_usage(self.verify("--algorithms", "HS256", token=rs), "jwks")

    # A list that names no algorithm ("," or "") must not fall back to the library's wider
    # default allow-list: a restriction the user typed never silently widens.
    def test_empty_algorithm_list_is_refused(self):
        self.assert_usage(self.verify("--algorithms", ",", token=self.token("rs256.jwt")), "--algorithms")
        self.assert_usage(self.verify("--algorithms", "", token=self.token("rs256.jwt")), "--algorithms")

    def test_require(self):
        rs = self.token("rs256.jwt")
        self.assert_valid(self.verify("--require", "email", token=rs))
        self.assert_valid(self.verify("--require", "email", "--require", "groups", token=rs))
        message = self.assert_rejected(self.verify("--require", "email", "--require", "tenant", token=rs), "missing_claim")
        self.assertIn("tenant", message)

    def test_typ(self):
        rs = self.token("rs256.jwt")  # header typ "JWT"
        self.assert_valid(self.verify("--typ", "JWT", token=rs))
        self.assert_valid(self.verify("--typ", "jwt", token=rs))
        self.assert_valid(self.verify("--typ", "application/jwt", token=rs))
        message = self.assert_rejected(self.verify("--typ", "at+jwt", token=rs), "bad_type")
        self.assertIn("at+jwt", message)

    def test_max_token_bytes(self):
        rs = self.token("rs256.jwt")
        self.assert_valid(self.verify("--max-token-bytes", str(len(rs)), token=rs))
        self.assert_rejected(self.verify("--max-token-bytes", str(len(rs) - 1), token=rs), "too_large")
        self.assert_rejected(self.verify("--max-token-bytes", "64", token=rs), "too_large")
        self.assert_usage(self.verify("--max-token-bytes", "63", token=rs), "max_token_bytes")
        # The default limit (16 KiB) applies without the option.
        self.assert_rejected(self.verify(token="-", stdin="A" * 20000), "too_large")

    # -- usage errors ----------------------------------------------------------------------------

    def test_usage_errors(self):
        rs = self.token("rs256.jwt")
        base = ["--jwks", self.jwks, "--issuer", ISSUER, "--audience", AUDIENCE]
        cases = {
            "missing --issuer": (["--jwks", self.jwks, "--audience", AUDIENCE, rs], "--issuer"),
            "missing --audience": (["--jwks", self.jwks, "--issuer", ISSUER, rs], "--audience"),
            "missing --jwks": (["--issuer", ISSUER, "--audience", AUDIENCE, rs], "--jwks"),
            "unknown option": (base + ["--bogus", rs], "--bogus"),
            "option without value": (base + ["--typ"], "--typ"),
            "two tokens": (base + [rs, rs], "token"),
            "clock tolerance not a number": (base + ["--clock-tolerance", "abc", rs], "--clock-tolerance"),
            "clock tolerance negative": (base + ["--clock-tolerance", "-5", rs], "--clock-tolerance"),
            "clock tolerance with junk": (base + ["--clock-tolerance", "5s", rs], "--clock-tolerance"),
            "clock tolerance empty": (base + ["--clock-tolerance", "", rs], "--clock-tolerance"),
            "now not a number": (base + ["--now", "yesterday", rs], "--now"),
            "now fractional": (base + ["--now", "1.5", rs], "--now"),
            "now negative": (base + ["--now", "-1", rs], "--now"),
            "now overflowing": (base + ["--now", "99999999999999999999999", rs], "--now"),
            "max-token-bytes zero": (base + ["--max-token-bytes", "0", rs], "--max-token-bytes"),
            "max-token-bytes not a number": (base + ["--max-token-bytes", "lots", rs], "--max-token-bytes"),
            "max-token-bytes missing": (base + ["--max-token-bytes"], "--max-token-bytes"),
        }
        for name, (args, mention) in cases.items():
            with self.subTest(case=name):
                self.assert_usage(self.run_cli("verify", *args), mention)

    def test_usage_errors_outside_verify(self):
        self.assert_usage(self.run_cli())
        self.assert_usage(self.run_cli("frobnicate"), "frobnicate")

    def test_unreadable_jwks(self):
        proc = self.run_cli("verify", "--jwks", os.path.join(self.dir, "no-such-file.json"), "--issuer", ISSUER,
                            "--audience", AUDIENCE, self.token("rs256.jwt"))
        self.assert_usage(proc, "jwks_file")
        self.assertRegex(proc.stderr, r"^invalid_config: [^\n]*\n$")


def main():
    global CLI, SAMPLE_TOKEN, HEADER
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", required=True)
    parser.add_argument("--sample-token", required=True)
    parser.add_argument("--header", required=True)
    args, rest = parser.parse_known_args()
    CLI, SAMPLE_TOKEN, HEADER = args.cli, args.sample_token, args.header
    program = unittest.main(argv=[sys.argv[0], "-v"] + rest, exit=False)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
