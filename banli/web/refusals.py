"""The web's own refusals, beside the engine's errors: not signed in (401) and a change
without its CSRF token (403); `banli.web.errors` turns them into answers. (A body over the
limit is refused before any handler runs, by `banli.web.app.Guard`.)"""

from __future__ import annotations

from banli.errors import NotPermitted


class NotSignedIn(NotPermitted):
    """No valid session cookie or API token (401; pages send the person to /login)."""


class CsrfRefused(NotPermitted):
    """A cookie-authenticated change without the session's CSRF token (403)."""
