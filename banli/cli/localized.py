"""The command line in the reader's language: the help of each command and option, and the
words click itself prints (Usage:, Options:, "No such option"), looked up in banli's catalogs.

click writes help texts in English at import; the English is kept on each command and option
and the help is set anew from it each time a command is about to run or show its help, in the
language of the moment (so one process may show both, as the tests do).
"""

from __future__ import annotations

import gettext
import importlib
import inspect

import click

from banli import i18n

# click's modules that translate through the standard gettext (`from gettext import gettext as _`)
CLICK_MODULES = ("click.core", "click.decorators", "click.exceptions", "click.formatting", "click.parser",
                 "click.shell_completion", "click.termui", "click.types", "click.utils")
_ENGLISH = "_banli_english"


def localized(command: click.Command) -> click.Command:
    """`command` and its subcommands, with help texts in the current language."""
    _speak_through_banli()
    for each in _walk(command):
        texts = each.__dict__.setdefault(_ENGLISH, (each.help, each.short_help, each.epilog))
        each.help, each.short_help, each.epilog = (_translated(text) for text in texts)
        for param in each.params:
            english = param.__dict__.setdefault(_ENGLISH, getattr(param, "help", None))
            if english is not None:
                param.help = _translated(english)
    return command


def _walk(command: click.Command):
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _walk(sub)


def _translated(text: str | None) -> str | None:
    """The help `text` in the current language; click cleans it the same way when it shows it."""
    if not text:
        return text
    english = inspect.cleandoc(text).partition("\f")[0]
    return i18n._(english)


def _speak_through_banli() -> None:
    """Point click's own gettext lookups at banli's catalogs (once)."""
    for name in CLICK_MODULES:
        module = importlib.import_module(name)
        if getattr(module, "_", None) is gettext.gettext:
            module._ = i18n._
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = i18n.ngettext
