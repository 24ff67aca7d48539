"""The pages a person uses: sign-in and sign-out, the first password from an invitation,
the home page of their role (a unit's items, a deputy's suggestions), an item's page and
the forms that fire its events."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from banli.engine import access
from banli.errors import BanliError, Conflict, InvalidInput, LockedOut, NotAllowedNow, NotPermitted
from banli.i18n import _
from banli.web import reading, views
from banli.web.auth import (LOGIN_COOKIE, SESSION_COOKIE, check_csrf, check_login_token, clear_cookie, identify,
                            login_token, require, set_cookie)
from banli.web.context import web
from banli.web.errors import answer, status_of
from banli.web.render import page

router = APIRouter(include_in_schema=False)


# -- signing in and out --------------------------------------------------------------------------

@router.get("/login")
def login_form(request: Request, next: str = "/", user: str = "") -> Response:
    return _login_page(request, next=next, username=user)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = _local(str(form.get("next", "/")))
    check_login_token(request, str(form.get("csrf_token", "")))
    try:
        session = await run_in_threadpool(_sign_in, request, username, password)
    except (NotPermitted, LockedOut) as error:  # the same words for an unknown person and a wrong password
        return _login_page(request, next=target, username=username, error=error.message,
                           status=429 if isinstance(error, LockedOut) else 401)
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, SESSION_COOKIE, session.token)
    return response


def _sign_in(request: Request, username: str, password: str):
    from banli.engine import accounts

    context = web(request)
    if not username or not password:
        raise NotPermitted(_("enter your user name and your password"))
    return accounts.sign_in(context.store, username, password, now=context.now(), idle=context.idle)


@router.post("/logout")
async def logout(request: Request) -> Response:
    from banli.engine import accounts

    form = await request.form()
    caller = await run_in_threadpool(require, request)
    check_csrf(request, caller, str(form.get("csrf_token", "")))
    context = web(request)
    if caller.session_token:
        await run_in_threadpool(accounts.sign_out, context.store, caller.session_token, now=context.now())
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    clear_cookie(request, response, SESSION_COOKIE)
    return response


def _login_page(request: Request, *, next: str = "/", username: str = "", error: str = "", status: int = 200,
                notice: str = "") -> Response:
    token = login_token(request)
    if not notice and request.query_params.get("signed_out"):
        notice = _("You have signed out.")
    if not notice and request.query_params.get("password_set"):
        notice = _("Your password is set; sign in with your new password.")
    response = page(request, "login.html", {"next": _local(next), "username": username, "error": error,
                                            "notice": notice, "login_token": token}, status=status)
    set_cookie(request, response, LOGIN_COOKIE, token)
    return response


def _local(target: str) -> str:
    """Only a path of this site: never send a person on to another one after signing in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/invite/{code}")
def invite_form(request: Request, code: str) -> Response:
    token = login_token(request)
    response = page(request, "invite.html", {"code": code, "login_token": token, "error": ""})
    set_cookie(request, response, LOGIN_COOKIE, token)
    return response


@router.post("/invite/{code}")
async def invite(request: Request, code: str) -> Response:
    from banli.engine import accounts

    form = await request.form()
    check_login_token(request, str(form.get("csrf_token", "")))
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    context = web(request)
    try:
        if password != again:
            raise InvalidInput(_("the two passwords differ: type the same password twice"))
        user = await run_in_threadpool(accounts.redeem, context.store, code, password, now=context.now())
    except BanliError as error:
        token = login_token(request)
        return page(request, "invite.html", {"code": code, "login_token": token, "error": error.message},
                    status=status_of(error))
    return RedirectResponse(f"/login?password_set=1&user={quote(user)}", status_code=303)


# -- home ------------------------------------------------------------------------------------------

@router.get("/")
def home(request: Request) -> Response:
    caller = identify(request)
    if caller is None:
        return RedirectResponse("/login", status_code=303)
    roles = caller.actor.roles
    context = web(request)
    if "unit" in roles and caller.actor.unit:
        items = reading.item_list(context, caller, children=True)
        units, _people = views.names(context)
        return page(request, "unit_home.html", {"sections": views.unit_sections(context, caller, items),
                                                "unit_name": units.get(caller.actor.unit, caller.actor.unit)})
    if "deputy" in roles and caller.actor.deputy:
        full, short = _deputy_items(context, caller)
        return page(request, "deputy_home.html", {"items": full, "others": short})
    if roles & access.REPORT_ROLES - {"auditor"}:
        return RedirectResponse("/dashboard", status_code=303)
    if roles & access.AUDIT_ROLES:
        return RedirectResponse("/audit", status_code=303)
    return page(request, "error.html", {"title": _("nothing to handle"),
                                        "message": _("your account has no role to work with; ask the supervision office")})


RECENT = 3  # a deputy's latest suggestions shown in full beside those awaiting them


def _deputy_items(context, caller) -> tuple[list[dict], list[dict]]:
    """A deputy's suggestions: in full (where it stands, the reply, the forms) those awaiting
    the deputy (a rating) and the latest few; the others as one line each."""
    full, short = [], []
    units, _people = views.names(context)
    for item in reading.item_list(context, caller, sort="ref", descending=True):
        if views.awaits_deputy(context, item) or len(full) < RECENT:
            info = reading.item_info(context, caller, item["ref"])
            full.append(views.item_page(context, caller, info, context.runtime.can(item["ref"], caller.user)))
        else:
            short.append(views.summary(context, item, units, context.now()))
    return full, short


# -- an item -----------------------------------------------------------------------------------------

@router.get("/items/{ref:path}")
def item(request: Request, ref: str, done: str = "") -> Response:
    caller = require(request)
    return _item_page(request, caller, ref, notice=_("done: {event}").format(event=done) if done else "")


def _item_page(request: Request, caller, ref: str, *, notice: str = "", error: str = "", status: int = 200) -> Response:
    context = web(request)
    info = reading.item_info(context, caller, ref)
    shown = views.item_page(context, caller, info, context.runtime.can(ref, caller.user))
    return page(request, "item.html", {**shown, "notice": notice, "error": error}, status=status)


@router.post("/items/{ref:path}/events/{event}")
async def fire(request: Request, ref: str, event: str) -> Response:
    form = await request.form()
    caller = await run_in_threadpool(require, request)
    check_csrf(request, caller, str(form.get("csrf_token", "")))
    try:
        label = await run_in_threadpool(_fire, request, caller, ref, event, form)
    except BanliError as error:
        status = status_of(error)
        if status in (401, 403, 404):
            return answer(request, error)
        message = error.message
        if isinstance(error, Conflict) or (isinstance(error, NotAllowedNow) and await run_in_threadpool(
                _changed_since, request, ref, str(form.get("version", "")))):
            message = _("someone else has just updated this item and your action was not carried out; look at how it "
                        "stands now below before you decide ({reason})").format(reason=error.message)
        return await run_in_threadpool(lambda: _item_page(request, caller, ref, error=message, status=status))
    return RedirectResponse(f"/items/{quote(ref, safe='/')}?done={quote(label)}", status_code=303)


def _changed_since(request: Request, ref: str, version: str) -> bool:
    """Whether the item is no longer at the version the form was made for (someone else acted)."""
    with web(request).store.read() as tx:
        item = tx.item(ref)
    return item is not None and version.isdigit() and item.version != int(version)


def _fire(request: Request, caller, ref: str, event_name: str, form) -> str:
    from banli.web.forms import posted_data

    context = web(request)
    item = reading.visible_item(context, caller, ref)
    workflow = context.store.workflows.by_id(item.definition_id)
    event = workflow.definition.events.get(event_name)
    data = posted_data(event, form) if event else {}
    version = str(form.get("version", "")).strip()
    if version and not version.isdigit():
        raise InvalidInput(_("the form's version {version} is not a number").format(version=repr(version)))
    context.runtime.fire(ref, event_name, caller.user, data, expect_version=int(version) if version else None)
    return workflow.label(event_name)
