"""Every failure code has its exception class, and the classes carry what they promise."""

from __future__ import annotations

import pickle

import pytest

import oidcore

EXPECTED = {
    "malformed": oidcore.MalformedToken,
    "too_large": oidcore.TooLarge,
    "unsupported_alg": oidcore.AlgorithmNotAllowed,
    "alg_not_allowed": oidcore.AlgorithmNotAllowed,
    "key_not_found": oidcore.KeyNotFound,
    "bad_signature": oidcore.InvalidSignature,
    "expired": oidcore.ExpiredToken,
    "not_yet_valid": oidcore.ImmatureToken,
    "issued_in_future": oidcore.ImmatureToken,
    "bad_issuer": oidcore.InvalidClaim,
    "bad_audience": oidcore.InvalidClaim,
    "bad_type": oidcore.InvalidClaim,
    "bad_nonce": oidcore.InvalidClaim,
    "too_old": oidcore.InvalidClaim,
    "missing_claim": oidcore.InvalidClaim,
    "jwks_unavailable": oidcore.KeysUnavailable,
    "http_error": oidcore.HttpError,
    "idp_error": oidcore.IdPError,
    "store_unavailable": oidcore.StoreUnavailable,
    "not_found": oidcore.NotFound,
    "unsafe_redirect": oidcore.UnsafeRedirect,
    "invalid_config": oidcore.ConfigError,
    "invalid_argument": oidcore.InvalidArgument,
    "internal": oidcore.InternalError,
    "revoked": oidcore.RevokedToken,
}


def test_every_code_has_its_class() -> None:
    # The codes come from the C library itself: a new code without a class fails here.
    assert set(oidcore.CODES) == set(EXPECTED)
    for code, cls in EXPECTED.items():
        assert oidcore.error_class(code) is cls
        e = oidcore.error_for(code, f"message for {code}")
        assert type(e) is cls and e.code == code and e.message == f"message for {code}"
        assert isinstance(e, oidcore.Error) and isinstance(e, Exception)
        assert str(e) == f"message for {code}" and code in repr(e)
    assert oidcore.error_class("no-such-code") is oidcore.InternalError


def test_unavailable_is_the_cores_word() -> None:
    # A service could not be reached: exactly these codes, as the C library says; never a
    # verdict on a token, a bad input or the provider's own OAuth error.
    assert [c for c in oidcore.CODES if oidcore.error_for(c, "x").unavailable] == [
        "jwks_unavailable", "http_error", "store_unavailable"]
    assert not oidcore.Error("no-such-code").unavailable


def test_families() -> None:
    token_classes = {oidcore.MalformedToken, oidcore.TooLarge, oidcore.AlgorithmNotAllowed, oidcore.KeyNotFound,
                     oidcore.InvalidSignature, oidcore.ExpiredToken, oidcore.ImmatureToken, oidcore.InvalidClaim,
                     oidcore.RevokedToken}
    for cls in token_classes:
        assert issubclass(cls, oidcore.InvalidToken)
    for cls in (oidcore.KeysUnavailable, oidcore.HttpError, oidcore.IdPError, oidcore.StoreUnavailable,
                oidcore.NotFound, oidcore.UnsafeRedirect, oidcore.ConfigError, oidcore.InternalError):
        assert not issubclass(cls, oidcore.InvalidToken) and issubclass(cls, oidcore.Error)
    assert issubclass(oidcore.InvalidArgument, oidcore.ConfigError)
    assert issubclass(oidcore.ArgumentTypeError, oidcore.InvalidArgument)
    assert issubclass(oidcore.ArgumentTypeError, TypeError)
    assert oidcore.ArgumentTypeError("x must be a str").code == "invalid_argument"


def test_idp_and_http_error_details() -> None:
    e = oidcore.error_for("idp_error", "the provider answered invalid_grant", 400, "invalid_grant", "expired code")
    assert isinstance(e, oidcore.IdPError)
    assert (e.error, e.error_description, e.status) == ("invalid_grant", "expired code", 400)
    e = oidcore.error_for("idp_error", "m", 0, "access_denied", "")
    assert isinstance(e, oidcore.IdPError)
    assert (e.error, e.error_description, e.status) == ("access_denied", None, None)
    h = oidcore.error_for("http_error", "status 503", 503)
    assert isinstance(h, oidcore.HttpError) and h.status == 503
    h = oidcore.error_for("http_error", "connection refused", 0)
    assert isinstance(h, oidcore.HttpError) and h.status is None


def test_raised_codes_match_their_classes() -> None:
    # One real failure of each kind that needs no network, through the public API.
    cases = [
        (lambda: oidcore.Verifier(issuer="x"), oidcore.ConfigError, "invalid_config"),
        (lambda: oidcore.safe_redirect("//x"), oidcore.UnsafeRedirect, "unsafe_redirect"),
        (lambda: oidcore.ExchangeCodes(store=oidcore.MemoryStore()).redeem("A" * 43), oidcore.NotFound, "not_found"),
        (lambda: oidcore.cookies.sign("v", ""), oidcore.InvalidArgument, "invalid_argument"),
        (lambda: oidcore.cookies.parse("a" * 70000), oidcore.TooLarge, "too_large"),
        (lambda: oidcore.principal_from_claims("1"), oidcore.MalformedToken, "malformed"),
    ]
    for call, cls, code in cases:
        with pytest.raises(cls) as info:
            call()
        assert info.value.code == code


def test_exceptions_pickle() -> None:
    # Errors cross process pools (concurrent.futures.ProcessPoolExecutor) intact.
    e = oidcore.IdPError("idp_error", "m", "invalid_grant", "d", 400)
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is oidcore.IdPError and (back.code, back.message, back.error, back.status) == (
        "idp_error", "m", "invalid_grant", 400)
    t = pickle.loads(pickle.dumps(oidcore.ArgumentTypeError("bad type")))
    assert isinstance(t, TypeError) and t.message == "bad type"
