"""What every request handler shares: the store, the runtime, the clock, the templates and
the server's settings, kept on the application (`app.state.web`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from time import monotonic
from typing import Callable
from urllib.parse import quote

import jinja2
from starlette.requests import Request

from banli.engine.runtime import Runtime
from banli.i18n import ENGLISH, _, language, ngettext

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
IDLE = timedelta(minutes=30)  # a session unused this long is closed
MAX_BODY = 1024 * 1024  # bytes (SPEC §9: 413 above)
LATEST_FOR = 5.0  # seconds a workflow's newest version is taken as known


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    # a ref may hold characters that mean something in a URL ("#", "?"); "/" separates a child's unit
    environment.filters["url"] = lambda text: quote(str(text), safe="/")
    # the pages' words, in the language of the moment: {{ _("Sign in") }} (extracted by banli.i18n.build)
    environment.globals.update(_=_, ngettext=ngettext, html_lang=lambda: "en" if language() == ENGLISH else "zh-CN")
    return environment


@dataclass(kw_only=True)
class Web:
    store: object  # a SqlStore
    now: Callable[[], datetime]
    secure_cookies: bool = False
    idle: timedelta = IDLE
    runtime: Runtime = field(init=False)
    templates: jinja2.Environment = field(default_factory=_environment)

    def __post_init__(self) -> None:
        self.runtime = Runtime(self.store, now=self.now)
        self._latest: dict[object, tuple[float, object]] = {}

    def latest(self, workflow_id: str):
        """The newest version of a workflow, asked of the database at most every few seconds:
        a list of thousands of rows asks for it per row, and a new version shows soon enough."""
        return self.recent(("workflow", workflow_id), lambda: self.store.workflows.get(workflow_id))

    def recent(self, key, read: Callable[[], object]):
        """`read()`, kept for LATEST_FOR seconds: what every page shows and seldom changes
        (the organisation's names, the sessions, a workflow's newest version)."""
        known = self._latest.get(key)
        if known is None or monotonic() - known[0] > LATEST_FOR:
            known = self._latest[key] = (monotonic(), read())
        return known[1]


def web(request: Request) -> Web:
    return request.app.state.web
