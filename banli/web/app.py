"""The ASGI application: FastAPI with the JSON API (`api`), the pages (`pages`, `office`),
the static files, the error mapping, a 1 MiB limit on request bodies and security headers."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from typing import Callable

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from banli.engine import registry
from banli.engine.times import utc_now
from banli.i18n import _
from banli.web import errors
from banli.web.context import IDLE, MAX_BODY, STATIC, Web

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
     b"frame-ancestors 'none'; form-action 'self'"),
]


def create_app(store, *, now: Callable[[], datetime] = utc_now, secure_cookies: bool = False,
               idle: timedelta = IDLE) -> FastAPI:
    """The application for `store` (a SqlStore); `now` is the clock (tests pass their own)."""
    from banli.web import api, office, pages

    # compiled before the first request: requests come on many threads at once, and the
    # engine's registries and catalogue fill themselves on first use without a lock
    registry.guards(), registry.effects()
    store.workflows.latest()
    app = FastAPI(title="banli", description="人大代表建议办理: the JSON API of banli (docs/web.md)",
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.state.web = Web(store=store, now=now, secure_cookies=secure_cookies, idle=idle)
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(office.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guard)
    return app


class Guard:
    """Refuses a request body over MAX_BODY with 413 before any handler reads it, and adds the
    security headers to every answer. Plain ASGI: a body with its length passes as it comes."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            await _too_large(scope, send)
            return
        if length is None and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            # a body without a length (chunked) is read here, up to the limit, and handed on whole
            body = await _read_limited(receive)
            if body is None:
                await _too_large(scope, send)
                return
            receive = _replay(body, receive)

        started = time.perf_counter()

        async def secured_send(message):
            if message["type"] == "http.response.start":
                # the server's own time, for the operator's browser tools and bench/web.py
                timing = f"app;dur={(time.perf_counter() - started) * 1000:.1f}".encode()
                message = {**message, "headers": list(message.get("headers", [])) + SECURITY_HEADERS
                           + [(b"server-timing", timing)]}
            await send(message)

        await self.app(scope, receive, secured_send)


async def _read_limited(receive) -> bytes | None:
    """The whole request body, or None once it passes MAX_BODY."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive):
    sent = False

    async def replayed():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _too_large(scope, send) -> None:
    api = scope["path"].startswith("/api/")
    message = _("the request body is larger than {size} KiB").format(size=MAX_BODY // 1024)
    if api:
        body, kind = json.dumps({"error": {"exit_code": 3, "message": message}}).encode(), b"application/json"
    else:
        words = _("What you submitted is too large (over {size} MiB).").format(size=MAX_BODY // (1024 * 1024))
        body, kind = f"<!doctype html><meta charset=utf-8><title>413</title><p>{words}</p>".encode(), \
            b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())] + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": body})
