"""The C ABI through Python's ctypes: no compiler, no binding code, only the shared library
and the declarations of oidcore.h written out by hand, as any FFI would.

usage: python3 test_ctypes.py LIBOIDCORE_SO SAMPLE_DIR ISSUER AUDIENCE
(or OIDCORE_LIB / OIDCORE_SAMPLES / OIDCORE_ISSUER / OIDCORE_AUDIENCE in the environment).
SAMPLE_DIR holds what the sample_token program wrote.
"""

import ctypes
import json
import os
import sys
import threading
import unittest

ERROR_MESSAGE_SIZE = 256
THUMBPRINT_LEN = 43

OK = 0
MALFORMED = 1
UNSUPPORTED_ALG = 3
BAD_SIGNATURE = 6
EXPIRED = 7
BAD_AUDIENCE = 11
INVALID_CONFIG = 22
INVALID_ARGUMENT = 23


class Error(ctypes.Structure):
    # typedef struct oidcore_error { oidcore_status status; long detail; char message[256];
    #                                char idp_error[64]; char idp_error_description[256]; }
    _fields_ = [
        ("status", ctypes.c_int),
        ("detail", ctypes.c_long),
        ("message", ctypes.c_char * ERROR_MESSAGE_SIZE),
        ("idp_error", ctypes.c_char * 64),
        ("idp_error_description", ctypes.c_char * ERROR_MESSAGE_SIZE),
    ]


def load(path):
    lib = ctypes.CDLL(path)
    vp = ctypes.c_void_p
    sz = ctypes.c_size_t
    err = ctypes.POINTER(Error)
    signatures = {
        "oidcore_status_name": (ctypes.c_char_p, [ctypes.c_int]),
        "oidcore_status_message": (ctypes.c_char_p, [ctypes.c_int]),
        "oidcore_version": (ctypes.c_char_p, []),
        "oidcore_abi_version": (ctypes.c_int, []),
        "oidcore_verifier_new": (ctypes.c_int, [ctypes.c_char_p, sz, ctypes.POINTER(vp), err]),
        "oidcore_verifier_free": (None, [vp]),
        "oidcore_verifier_verify": (ctypes.c_int, [vp, ctypes.c_char_p, sz, ctypes.POINTER(vp), err]),
        "oidcore_result_claims": (ctypes.c_void_p, [vp, ctypes.POINTER(sz)]),
        "oidcore_result_alg": (ctypes.c_char_p, [vp]),
        "oidcore_result_kid": (ctypes.c_char_p, [vp]),
        "oidcore_result_free": (None, [vp]),
        "oidcore_jwk_thumbprint": (ctypes.c_int, [ctypes.c_char_p, sz, ctypes.c_char_p, err]),
        "oidcore_jwks_describe": (
            ctypes.c_int,
            [ctypes.c_char_p, sz, ctypes.c_char_p, sz, ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(sz), err],
        ),
        "oidcore_string_free": (None, [vp]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


class Verifier:
    """A minimal binding: one call into the ABI per method, errors turned into exceptions."""

    class Rejected(Exception):
        def __init__(self, lib, status, error):
            self.status = status
            self.code = lib.oidcore_status_name(status).decode()
            self.message = error.message.decode()
            super().__init__(f"{self.code}: {self.message}")

    def __init__(self, lib, config):
        self.lib = lib
        text = json.dumps(config).encode()
        handle = ctypes.c_void_p()
        err = Error()
        status = lib.oidcore_verifier_new(text, len(text), ctypes.byref(handle), ctypes.byref(err))
        if status != OK:
            raise Verifier.Rejected(lib, status, err)
        self.handle = handle

    def close(self):
        self.lib.oidcore_verifier_free(self.handle)
        self.handle = None

    def verify(self, token):
        data = token.encode() if isinstance(token, str) else token
        result = ctypes.c_void_p()
        err = Error()
        status = self.lib.oidcore_verifier_verify(self.handle, data, len(data), ctypes.byref(result), ctypes.byref(err))
        if status != OK:
            assert not result.value, "no result may be handed out on failure"
            assert err.status == status
            raise Verifier.Rejected(self.lib, status, err)
        try:
            n = ctypes.c_size_t()
            claims = ctypes.string_at(self.lib.oidcore_result_claims(result, ctypes.byref(n)), n.value)
            alg = self.lib.oidcore_result_alg(result).decode()
            kid = self.lib.oidcore_result_kid(result).decode()
        finally:
            self.lib.oidcore_result_free(result)
        return json.loads(claims), alg, kid


class CtypesTest(unittest.TestCase):
    lib_path = None
    samples = None
    issuer = None
    audience = None

    @classmethod
    def setUpClass(cls):
        cls.lib = load(cls.lib_path)

    def token(self, name):
        with open(os.path.join(self.samples, name), encoding="ascii") as f:
            return f.read().strip()

    def verifier(self, **extra):
        config = {"issuer": self.issuer, "audience": self.audience, "jwks_file": os.path.join(self.samples, "jwks.json")}
        config.update(extra)
        v = Verifier(self.lib, config)
        self.addCleanup(v.close)
        return v

    def test_version(self):
        self.assertRegex(self.lib.oidcore_version().decode(), r"^\d+\.\d+\.\d+$")
        self.assertEqual(self.lib.oidcore_abi_version(), 1)
        self.assertEqual(self.lib.oidcore_status_name(BAD_SIGNATURE), b"bad_signature")
        self.assertEqual(self.lib.oidcore_status_name(12345), b"internal")

    def test_valid_tokens(self):
        v = self.verifier()
        for name, want_alg, want_kid in [
            ("rs256.jwt", "RS256", "rsa-2026"),
            ("es256.jwt", "ES256", "ec-2026"),
            ("eddsa.jwt", "EdDSA", "ed-2026"),
        ]:
            with self.subTest(token=name):
                claims, alg, kid = v.verify(self.token(name))
                self.assertEqual(claims["iss"], self.issuer)
                self.assertEqual(claims["aud"], self.audience)
                self.assertEqual(claims["sub"], "4f1d9c0e")
                self.assertEqual(claims["groups"], ["engineering", "app-admins"])
                self.assertEqual((alg, kid), (want_alg, want_kid))

    def test_rejections(self):
        v = self.verifier()
        for name, status, code in [
            ("tampered.jwt", BAD_SIGNATURE, "bad_signature"),
            ("expired.jwt", EXPIRED, "expired"),
            ("wrong-audience.jwt", BAD_AUDIENCE, "bad_audience"),
            ("alg-none.jwt", UNSUPPORTED_ALG, "unsupported_alg"),
        ]:
            with self.subTest(token=name):
                with self.assertRaises(Verifier.Rejected) as cm:
                    v.verify(self.token(name))
                self.assertEqual((cm.exception.status, cm.exception.code), (status, code))
                self.assertTrue(cm.exception.message)
        with self.assertRaises(Verifier.Rejected) as cm:
            v.verify(b"\x00\xff.garbage")
        self.assertEqual(cm.exception.code, "malformed")

    def test_config_error_names_key(self):
        with self.assertRaises(Verifier.Rejected) as cm:
            self.verifier(clock_tolerence=30)
        self.assertEqual(cm.exception.status, INVALID_CONFIG)
        self.assertIn("clock_tolerence", cm.exception.message)

    def test_null_arguments(self):
        err = Error()
        handle = ctypes.c_void_p()
        self.assertEqual(self.lib.oidcore_verifier_new(None, 0, ctypes.byref(handle), ctypes.byref(err)), INVALID_ARGUMENT)
        self.assertIsNone(handle.value)
        result = ctypes.c_void_p()
        self.assertEqual(self.lib.oidcore_verifier_verify(None, b"a.b.c", 5, ctypes.byref(result), None), INVALID_ARGUMENT)
        self.lib.oidcore_verifier_free(None)
        self.lib.oidcore_result_free(None)
        self.lib.oidcore_string_free(None)

    def test_keys(self):
        jwk = b'{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'
        out = ctypes.create_string_buffer(THUMBPRINT_LEN + 1)
        self.assertEqual(self.lib.oidcore_jwk_thumbprint(jwk, len(jwk), out, None), OK)
        self.assertEqual(out.value, b"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")

        with open(os.path.join(self.samples, "jwks.json"), "rb") as f:
            jwks = f.read()
        text = ctypes.c_void_p()
        n = ctypes.c_size_t()
        self.assertEqual(self.lib.oidcore_jwks_describe(jwks, len(jwks), None, 0, ctypes.byref(text), ctypes.byref(n), None), OK)
        try:
            described = json.loads(ctypes.string_at(text, n.value))
        finally:
            self.lib.oidcore_string_free(text)
        self.assertEqual([k["kid"] for k in described["keys"]], ["rsa-2026", "ec-2026", "ed-2026"])
        self.assertEqual(described["skipped"], [])

    def test_threads_share_one_verifier(self):
        # ctypes releases the GIL around foreign calls: these really run at once.
        v = self.verifier()
        tokens = [self.token(n) for n in ("rs256.jwt", "es256.jwt", "eddsa.jwt", "tampered.jwt")]
        failures = []

        def work():
            for i in range(200):
                t = tokens[i % len(tokens)]
                try:
                    v.verify(t)
                    if t is tokens[3]:
                        failures.append("tampered token accepted")
                except Verifier.Rejected as e:
                    if t is not tokens[3] or e.code != "bad_signature":
                        failures.append(str(e))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])


def main():
    args = sys.argv[1:]
    env = os.environ
    names = ["OIDCORE_LIB", "OIDCORE_SAMPLES", "OIDCORE_ISSUER", "OIDCORE_AUDIENCE"]
    values = args[:4] if len(args) >= 4 else [env.get(n) for n in names]
    if not all(values):
        sys.stderr.write(__doc__)
        return 2
    CtypesTest.lib_path, CtypesTest.samples, CtypesTest.issuer, CtypesTest.audience = values
    program = unittest.main(argv=[sys.argv[0], "-v"] + args[4:], exit=False)
    return 0 if program.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
