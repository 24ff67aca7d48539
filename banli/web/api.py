"""The JSON API (SPEC §9): the CLI's `--json` shapes over HTTP, for other systems. A bearer
token or a session cookie says who calls; a change made with a cookie needs the CSRF token."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from banli.engine import access
from banli.errors import InvalidInput
from banli.i18n import _
from banli.web import reading
from banli.web.auth import Caller, check_csrf, require
from banli.web.context import web

router = APIRouter()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_VERSION = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


class FireBody(BaseModel):
    """The body of an event: its data (as `banli fire --data`) and when it happened."""

    model_config = ConfigDict(extra="forbid")
    data: dict[str, Any] = {}
    at: str | None = None


def caller(request: Request) -> Caller:
    return require(request)


@router.get("/healthz", tags=["service"])
def healthz() -> dict:
    return {"ok": True}


@router.get("/api/me", tags=["accounts"])
def me(who: Caller = Depends(caller)) -> dict:
    actor = who.actor
    answer = {"id": actor.id, "name": actor.name, "roles": sorted(actor.roles), "unit": actor.unit}
    if who.via == "cookie":
        answer["csrf_token"] = who.csrf_token
    return answer


@router.get("/api/items", tags=["items"])
def items(request: Request, session: str | None = None, state: str | None = None, unit: str | None = None,
          category: str | None = None, overdue: bool = False, q: str | None = None, sort: str = "ref",
          desc: bool = False, children: bool = False, who: Caller = Depends(caller)) -> list[dict]:
    """The items the caller sees, as `banli item list --json`."""
    return reading.item_list(web(request), who, session=session, state=state, unit=unit, category=category,
                             overdue=overdue, q=q, sort=sort, descending=desc, children=children)


@router.get("/api/items/{ref:path}/can", tags=["items"])
def can(request: Request, ref: str, who: Caller = Depends(caller)) -> list[dict]:
    """As `banli can REF --json`: every event, whether the caller may fire it now, and why not."""
    context = web(request)
    reading.visible_item(context, who, ref)
    return context.runtime.can(ref, who.user)


@router.post("/api/items/{ref:path}/events/{event}", tags=["items"])
def fire(request: Request, ref: str, event: str, body: FireBody,
         if_match: str | None = Header(default=None, description='the item\'s version, e.g. "7"'),
         who: Caller = Depends(caller)) -> dict:
    """As `banli fire REF EVENT --json`; with If-Match, refused (412) if the item is at another version."""
    check_csrf(request, who)
    context = web(request)
    reading.visible_item(context, who, ref)
    fired = context.runtime.fire(ref, event, who.user, body.data, at=body.at, expect_version=expected_version(if_match))
    return fired.as_json()


@router.get("/api/items/{ref:path}", tags=["items"])
def show(request: Request, ref: str, who: Caller = Depends(caller)) -> dict:
    """As `banli item show REF --json`."""
    return reading.item_info(web(request), who, ref)


@router.get("/api/ledger.xlsx", tags=["reports"], response_class=Response)
def ledger(request: Request, session: str | None = None, workflow: str | None = None,
           who: Caller = Depends(caller)) -> Response:
    """The ledger workbook (台账), as `banli ledger export`: a sheet per workflow, or only `workflow`'s."""
    content = reading.ledger_bytes(web(request), who, session, workflow)
    return Response(content, media_type=XLSX, headers=_attachment(_("Ledger") + (f"-{session}" if session else "") + ".xlsx"))


@router.get("/api/reports/annual", tags=["reports"])
def annual(request: Request, session: str = Query(..., description="the session, e.g. 16-1"),
           who: Caller = Depends(caller)) -> dict:
    """As `banli report annual --session S --json`."""
    return reading.annual(web(request), who, session).metrics.to_json()


@router.get("/api/audit/verify", tags=["audit"])
def verify(request: Request, who: Caller = Depends(caller)) -> dict:
    """As `banli audit verify --json` (auditor, supervisor, admin)."""
    from banli.store.audit import verify as run_verify

    access.check_roles(who.actor, access.AUDIT_ROLES, _("verifying the trace"))
    return run_verify(web(request).store)


def expected_version(header: str | None) -> int | None:
    """The version an If-Match header names (`"7"`, `W/"7"` or `7`); `*` or none: any."""
    if header is None or header.strip() in ("", "*"):
        return None
    match = _VERSION.match(header)
    if not match:
        raise InvalidInput(_('If-Match {header} must name the item\'s version, e.g. If-Match: "7"').format(
            header=repr(header)))
    return int(match.group(1))


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
