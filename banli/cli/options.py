"""Option parsing shared by commands: `k=v` pairs, `--as-of`, data files, and text arguments
that must be text (a byte that is not UTF-8 is refused here, before it reaches a database)."""

from __future__ import annotations

from pathlib import Path

import click

from banli.engine.limits import not_text, read_json, shown
from banli.engine.times import DEFAULT_ZONE_NAME
from banli.errors import InvalidInput
from banli.i18n import _


def check_text(option: str, value: str | None) -> None:
    """Raise InvalidInput if `value`, given as `option`, holds a lone surrogate: Python decodes
    command-line bytes that are not UTF-8 to those, and no database can store them."""
    surrogate = not_text(value) if isinstance(value, str) else None
    if surrogate:
        raise InvalidInput(_("{option} '{value}' is not UTF-8 text (it holds {surrogate}); "
                             "give it in UTF-8, or check the terminal's encoding (locale)")
                           .format(option=option, value=shown(value), surrogate=surrogate))


class Text(click.types.StringParamType):
    """click's string, refused (exit 3) when it is not text."""

    name = "text"

    def convert(self, value, param, ctx):
        value = super().convert(value, param, ctx)
        check_text(_option_name(param), value)
        return value


TEXT = Text()


def text_params(command: click.Command) -> click.Command:
    """`command` (and every subcommand of a group) with its plain string options and arguments
    typed TEXT; file paths (click.Path) keep what the file system gives. Idempotent."""
    for param in command.params:
        if type(param.type) is click.types.StringParamType:
            param.type = TEXT
    for sub in getattr(command, "commands", {}).values():
        text_params(sub)
    return command


def _option_name(param: click.Parameter | None) -> str:
    if param is None:
        return _("a value")
    return param.opts[0] if isinstance(param, click.Option) else param.human_readable_name


def pairs(values: tuple[str, ...], option: str) -> dict:
    """`k=v` strings → a dict; a repeated key collects a list."""
    result: dict = {}
    for value in values:
        check_text(option, value)
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(_("{option} {value} must look like key=value").format(option=option, value=repr(value)))
        result[key.strip()] = text
    return result


def data_file(path: str | None) -> dict:
    """The JSON object of `--data-file`, read within the limits of event data (banli.engine.limits)."""
    if not path:
        return {}
    what = f"--data-file {shown(path, 80)}"
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput(_("{source} not found").format(source=what)) from exc
    except OSError as exc:
        raise InvalidInput(_("{source} cannot be read ({reason})").format(source=what, reason=exc.strerror or exc)) from exc
    data = read_json(raw, what)
    if not isinstance(data, dict):
        raise InvalidInput(_("{source} must hold one JSON object of key: value").format(source=what))
    return data


def as_of(text: str | None, zone_name: str = DEFAULT_ZONE_NAME):
    from zoneinfo import ZoneInfo

    from banli.engine.times import parse_instant, utc_now

    return parse_instant(text, ZoneInfo(zone_name), "--as-of") if text else utc_now()
