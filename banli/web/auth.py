"""Who is calling: a browser's session cookie or an API client's bearer token, resolved
through the accounts rules (`banli.engine.accounts`); the CSRF check for changes made with
a cookie; the cookies themselves (HttpOnly, SameSite=Lax, Secure when configured)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from banli.engine.records import Actor
from banli.i18n import _
from banli.web.context import web
from banli.web.refusals import CsrfRefused, NotSignedIn

SESSION_COOKIE = "banli_session"
LOGIN_COOKIE = "banli_login"  # the sign-in form's CSRF token, before there is a session
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, kw_only=True)
class Caller:
    actor: Actor
    via: str  # "cookie" or "token"
    csrf_token: str | None = None  # of the cookie session
    session_token: str | None = None

    @property
    def user(self) -> str:
        return self.actor.id


def identify(request: Request) -> Caller | None:
    """The signed-in caller, or None; found once per request."""
    if "caller" in request.state._state:
        return request.state.caller
    request.state.caller = caller = _identify(request)
    return caller


def _identify(request: Request) -> Caller | None:
    from banli.engine import accounts

    context = web(request)
    now = context.now()
    header = request.headers.get("authorization", "")
    if header:
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        user = accounts.token_user(context.store, token.strip(), now=now)
        actor = _actor(context, user)
        return Caller(actor=actor, via="token") if actor else None
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    session = accounts.session(context.store, token, now=now, idle=context.idle)
    if session is None:
        return None
    actor = _actor(context, session.user)
    return Caller(actor=actor, via="cookie", csrf_token=session.csrf_token, session_token=token) if actor else None


def _actor(context, user: str | None) -> Actor | None:
    if not user:
        return None
    return context.store.actor(user)


def require(request: Request) -> Caller:
    caller = identify(request)
    if caller is None:
        raise NotSignedIn(_("not signed in: sign in at /login, or send 'Authorization: Bearer TOKEN' "
                            "(a token from 'banli user token USER')"))
    return caller


def check_csrf(request: Request, caller: Caller, submitted: str | None = None) -> None:
    """A change made with a session cookie must carry the session's CSRF token (form field
    `csrf_token` or header X-CSRF-Token); a bearer token cannot be sent by another site."""
    if caller.via != "cookie":
        return
    given = submitted or request.headers.get(CSRF_HEADER) or ""
    if not caller.csrf_token or not hmac.compare_digest(given.encode(), caller.csrf_token.encode()):
        raise CsrfRefused(_("the form or request lacks its CSRF token (or it is stale): reload the page and try again"))


def login_token(request: Request) -> str:
    """The sign-in form's CSRF token: the one in the browser's cookie, else a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def check_login_token(request: Request, submitted: str | None) -> None:
    expected = request.cookies.get(LOGIN_COOKIE) or ""
    if not expected or not submitted or not hmac.compare_digest(submitted.encode(), expected.encode()):
        raise CsrfRefused(_("the sign-in form lacks its CSRF token (or it is stale): reload the page and try again"))


def set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=web(request).secure_cookies, path="/")


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=web(request).secure_cookies)
