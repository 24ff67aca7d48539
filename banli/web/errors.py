"""Errors over HTTP (SPEC §9): each BanliError's exit code becomes a status, and every answer
is `{"error": {"exit_code", "message"}}` for the API or a page in the person's language;
never a traceback (an unexpected error is logged on the server and answered 500)."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from banli.errors import BanliError, InvalidInput, LockedOut
from banli.i18n import N_, _
from banli.web.refusals import NotSignedIn

log = logging.getLogger("banli.web")

STATUS = {3: 422, 4: 403, 5: 409, 6: 412, 7: 404, 8: 409, 9: 503}
TITLES = {  # what a person reads above the details
    401: N_("Please sign in first"), 403: N_("Access denied"), 404: N_("Not found"),
    409: N_("This cannot be done now"), 412: N_("Someone else has updated this item"),
    413: N_("What you submitted is too large"), 422: N_("Something in the form is wrong"),
    429: N_("Too many failed sign-ins; please try again later"), 500: N_("System error"),
    503: N_("The database is not available for now"),
}


def status_of(error: BanliError) -> int:
    if isinstance(error, NotSignedIn):
        return 401
    if isinstance(error, LockedOut):
        return 429
    return STATUS.get(error.exit_code, 500)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def error_json(status: int, exit_code: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"exit_code": exit_code, "message": message}}, status_code=status)


def error_page(request: Request, status: int, message: str) -> Response:
    from banli.web.render import page  # the pages' renderer needs the caller; imported late

    return page(request, "error.html", {"title": _(TITLES[status]) if status in TITLES else _("Something went wrong"),
                                             "message": message}, status=status)


def answer(request: Request, error: BanliError) -> Response:
    status = status_of(error)
    if wants_json(request):
        return error_json(status, error.exit_code, error.message)
    if status == 401:
        return RedirectResponse("/login?next=" + _here(request), status_code=303)
    return error_page(request, status, error.message)


def _here(request: Request) -> str:
    from urllib.parse import quote

    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return quote(path, safe="")


def install(app: FastAPI) -> None:
    """The handlers that turn every failure into an answer of SPEC §9's shape."""

    @app.exception_handler(BanliError)
    async def banli_error(request: Request, error: BanliError) -> Response:
        return answer(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = "; ".join(_problem(entry) for entry in error.errors()) or _("the request is not valid")
        return answer(request, InvalidInput(problems))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        exit_code = {404: 7, 405: 3, 401: 4, 403: 4}.get(error.status_code, 3)
        if error.status_code == 404:
            message = _("no such page or route: {path}").format(path=request.url.path)
        elif error.status_code == 405:
            message = _("{method} is not allowed on {path}").format(method=request.method, path=request.url.path)
        else:
            message = str(error.detail)
        if wants_json(request):
            return error_json(error.status_code, exit_code, message)
        return error_page(request, error.status_code, message)

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        # the route's pattern, not the path: a path may hold a secret (an invitation's code)
        route = getattr(request.scope.get("route"), "path", "(no route)")
        log.error("internal error on %s %s", request.method, route, exc_info=error)
        message = _("internal error; it has been logged on the server")
        if wants_json(request):
            return error_json(500, 1, message)
        return error_page(request, 500, message)


def _problem(entry: dict) -> str:
    where = ".".join(str(part) for part in entry.get("loc", ()) if part not in ("body", "query"))
    said = str(entry.get("msg") or _("invalid"))
    return f"{where}: {said}" if where else said
