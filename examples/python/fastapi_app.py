"""Protecting FastAPI routes with oidcore, and the login flow behind them.

    OIDC_ISSUER=https://auth.example.com/application/o/app/ OIDC_CLIENT_ID=app \\
    OIDC_CLIENT_SECRET=... OIDC_REDIRECT_URI=https://app.example.com/auth/callback \\
        uvicorn --factory fastapi_app:app_from_environment

`current_user` is the dependency: the access token comes from the `access_token` cookie or
`Authorization: Bearer`, and any failure is a plain 401 that does not say why (the reason
goes to the log, not to the caller).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse

import oidcore

log = logging.getLogger("fastapi_app")
BINDING_COOKIE = "login_binding"


def create_app(verifier: oidcore.Verifier, rp: oidcore.RelyingParty | None = None) -> FastAPI:
    app = FastAPI()

    async def current_user(request: Request) -> dict[str, Any]:
        try:
            result = await verifier.verify_request_async(request.headers)
        except oidcore.Error as e:
            log.info("401 for %s: %s", request.url.path, e.code)
            raise HTTPException(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"}) from None
        user: dict[str, Any] = result["principal"] or {"sub": result["claims"].get("sub")}
        return user

    @app.get("/api/me")
    async def me(user: dict[str, Any] = Depends(current_user)) -> dict[str, Any]:
        return user

    if rp is not None:
        login_flow(app, rp)
    return app


def login_flow(app: FastAPI, rp: oidcore.RelyingParty) -> None:
    @app.get("/auth/login")
    async def login(request: Request) -> RedirectResponse:
        after = oidcore.safe_redirect(request.query_params.get("next", "/"), "/")
        start = await rp.begin_login_async(redirect_after=after)
        response = RedirectResponse(start.url, status_code=303)
        # The login is tied to this browser: the callback needs this cookie back.
        response.headers.append("set-cookie", oidcore.cookies.serialize(BINDING_COOKIE, start.binding or "",
                                                                        max_age=start.expires_in))
        return response

    @app.get("/auth/callback")
    async def callback(request: Request) -> RedirectResponse:
        try:
            result = await rp.complete_login_async(str(request.url), binding=request.cookies.get(BINDING_COOKIE))
        except oidcore.Error as e:
            log.info("login failed: %s: %s", e.code, e.message)
            raise HTTPException(400 if isinstance(e, oidcore.NotFound) else 401, "login failed") from None
        response = RedirectResponse(result["redirect_after"] or "/", status_code=303)
        response.headers.append("set-cookie", oidcore.cookies.serialize(
            "access_token", result["access_token"], max_age=result["expires_in"] or 300))
        response.headers.append("set-cookie", oidcore.cookies.clear(BINDING_COOKIE))
        return response


def app_from_environment() -> FastAPI:
    env = os.environ
    rp = oidcore.RelyingParty(store=oidcore.MemoryStore(), issuer=env["OIDC_ISSUER"],
                              client_id=env["OIDC_CLIENT_ID"], client_secret=env["OIDC_CLIENT_SECRET"],
                              redirect_uri=env["OIDC_REDIRECT_URI"])
    verifier = oidcore.Verifier(issuer=env["OIDC_ISSUER"], audience=env["OIDC_CLIENT_ID"], discovery=True,
                                principal={"roles": [{"group": "admins", "role": "admin"}]})
    return create_app(verifier, rp)
