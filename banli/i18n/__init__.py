"""The language people read banli in: Chinese by default, English with `BANLI_LANG=en` (or
an English locale). Messages are written in English in the code, marked with `_()`, and
looked up in gettext catalogs (`banli/i18n/locale/LANG/LC_MESSAGES/banli.po`, extracted and
compiled with Babel: `banli.i18n.build`).

A message is translated when it is made, in the language of the moment: the process's
(`language()`), or the one a caller chose for a stretch of work (`use("en")`: a web request,
a test). Texts fixed at import time are marked with `N_()` and translated where they are shown.
"""

from __future__ import annotations

import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

DOMAIN = "banli"
LOCALE_DIR = Path(__file__).parent / "locale"
CHINESE, ENGLISH = "zh_CN", "en"
LANGUAGES = (CHINESE, ENGLISH)
DEFAULT = CHINESE

_chosen: ContextVar[str | None] = ContextVar("banli_language", default=None)


def language() -> str:
    """The language messages are made in now: the one `use()` chose, else the environment's."""
    return _chosen.get() or from_environment(os.environ)


def from_environment(environ: Mapping[str, str]) -> str:
    """`BANLI_LANG` if it names a language banli speaks, else the locale (LANGUAGE, then the
    first of LC_ALL, LC_MESSAGES, LANG that is set); Chinese when neither says English."""
    wanted = [environ.get("BANLI_LANG", ""), environ.get("LANGUAGE", "")]
    wanted.append(next((environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), ""))
    for value in wanted:
        for code in value.split(":"):
            found = known(code)
            if found:
                return found
    return DEFAULT


def known(code: str) -> str | None:
    """The language banli speaks that `code` (en, en_US.UTF-8, zh, zh-CN, zh_CN.UTF-8) names, or None."""
    base = code.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if base == "en" or base.startswith("en_"):
        return ENGLISH
    if base == "zh" or base.startswith("zh_"):
        return CHINESE
    return None


@contextmanager
def use(code: str) -> Iterator[str]:
    """Make messages in `code`'s language inside the block (a web request, a test)."""
    chosen = known(code) or DEFAULT
    token = _chosen.set(chosen)
    try:
        yield chosen
    finally:
        _chosen.reset(token)


def _(message: str) -> str:
    """`message` (English, as written in the code) in the current language."""
    if not message:  # gettext("") is the catalog's header, never a message
        return message
    return catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural English message for `n`, in the current language."""
    return catalog(language()).ngettext(singular, plural, n)


def either(words) -> str:
    """Alternatives as a sentence says them: "a", "a or b", "a, b or c" (in Chinese a、b 或 c)."""
    words = [str(word) for word in words]
    if len(words) < 2:
        return "".join(words)
    return _("{some} or {last}").format(some=_(", ").join(words[:-1]), last=words[-1])


def N_(message: str) -> str:
    """Mark `message` for the catalogs without translating it: it is translated with `_()`
    where it is shown (a table of help texts made at import)."""
    return message


@cache
def catalog(code: str) -> _gettext.NullTranslations:
    """The compiled catalog of `code`; compiled from its .po in memory when the build has not
    compiled it, or compiled it before the .po last changed (a checkout being edited)."""
    po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    if not po.exists():
        return _gettext.NullTranslations()
    from banli.i18n.compiling import compiled

    return _gettext.GNUTranslations(BytesIO(compiled(po)))
