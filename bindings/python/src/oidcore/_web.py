"""Web helpers over the C ABI: finding a request's token, safe redirects, principals."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from . import _native
from ._errors import ArgumentTypeError
from ._util import Headers, Text, dumps, optional_bytes, options, request_headers, string_list, to_bytes, \
    to_text, unwrap, unwrap_dict


def token_options(cookie_name: str | None, order: Sequence[str] | None,
                  cookie_secrets: str | Sequence[str] | None) -> bytes | None:
    if cookie_name is not None and not isinstance(cookie_name, str):
        raise ArgumentTypeError(f"cookie_name must be a str, not {type(cookie_name).__name__}")
    if isinstance(order, str):
        raise ArgumentTypeError('order must be a sequence such as ("cookie", "bearer"), not a str')
    return options(cookie_name=cookie_name,
                   order=None if order is None else string_list(order, "order"),
                   cookie_secrets=None if cookie_secrets is None else string_list(cookie_secrets, "cookie_secrets"))


def extract_token(headers: Headers, *, cookie_name: str | None = None, order: Sequence[str] | None = None,
                  cookie_secrets: str | Sequence[str] | None = None) -> tuple[str, str] | None:
    """The request's access token as (token, source), source "cookie" or "bearer"; None without one.

    ``headers``: a mapping (names matched case-insensitively) or (name, value) pairs; only
    Cookie and Authorization are read. The cookie ``cookie_name`` (default "access_token")
    is tried first, then ``Authorization: Bearer`` (``order`` changes that). With
    ``cookie_secrets`` the cookie must be a cookie-parser signed cookie ("s:...") that one of
    the secrets verifies; otherwise it counts as no token. A header over 64 KiB raises
    TooLarge; bad options raise InvalidArgument naming the option.
    """
    opts = token_options(cookie_name, order, cookie_secrets)
    cookie, authorization = request_headers(headers)
    outcome = _native.extract_token(cookie, authorization, opts)
    if outcome[0] == "not_found":
        return None
    found = unwrap_dict(outcome)
    return str(found["token"]), str(found["source"])


def request_inputs(headers: Headers, cookie_name: str | None, order: Sequence[str] | None,
                   cookie_secrets: str | Sequence[str] | None,
                   ) -> tuple[bytes | None, bytes | None, bytes, bytes | None]:
    """The inputs of a request verification: (cookie, authorization, options without
    fetching, options with fetching), the options as the core's JSON."""
    opts = token_options(cookie_name, order, cookie_secrets)
    cookie, authorization = request_headers(headers)
    members = b"" if opts is None else opts[1:-1]
    cached = b"{" + members + (b"," if members else b"") + b'"allow_fetch":false}'
    return cookie, authorization, cached, opts


def safe_redirect(target: Text | None, fallback: Text | None = None) -> str:
    """``target`` when it is a safe same-site relative path ("/x", never "//x", "/\\x", a scheme,
    control characters or their percent-encoded forms), else ``fallback``.

    Without a fallback an unsafe target raises UnsafeRedirect. A fallback must be safe
    itself (else InvalidArgument). None as the target is an empty, unsafe target.
    """
    data = b"" if target is None else to_bytes(target, "target")
    return to_text(unwrap(_native.safe_redirect(data, optional_bytes(fallback, "fallback"))))


def principal_from_claims(claims: Mapping[str, Any] | Text, *, organization_id_claim: str | None = None,
                          organization_fallback: str | None = None, groups_claim: str | None = None,
                          roles: Sequence[Mapping[str, str]] | None = None,
                          default_role: str | None = None) -> dict[str, Any]:
    """The principal {"sub", "email", "name", "organizationId", "role"} of a set of claims,
    as the verifier's ``principal`` option builds it (``roles``: [{"group", "role"}, ...],
    the first group the user is in gives the role, else ``default_role``).

    ``organizationId`` is the claim ``organization_id_claim`` (default "organizationId");
    without it, ``organization_fallback`` "sub" (the default) gives the subject and "none"
    gives None.

    ``claims`` is a mapping or the claims' JSON text.
    """
    if isinstance(claims, Mapping):
        data = dumps(dict(claims), "claims")
    else:
        data = to_bytes(claims, "claims")
    config = options(organization_id_claim=organization_id_claim, organization_fallback=organization_fallback,
                     groups_claim=groups_claim,
                     roles=None if roles is None else list(roles), default_role=default_role)
    result: dict[str, Any] = json.loads(unwrap(_native.principal_from_claims(data, config)))
    return result


__all__ = ["extract_token", "safe_redirect", "principal_from_claims"]
