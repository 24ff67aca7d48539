"""Option parsing shared by commands: `k=v` pairs, `--as-of`, data files."""

from __future__ import annotations

import json
from pathlib import Path

from banli.engine.times import DEFAULT_ZONE_NAME
from banli.errors import InvalidInput


def pairs(values: tuple[str, ...], option: str) -> dict:
    """`k=v` strings → a dict; a repeated key collects a list."""
    result: dict = {}
    for value in values:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"{option} {value!r} must look like key=value")
        result[key.strip()] = text
    return result


def data_file(path: str | None) -> dict:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"--data-file {path} not found") from exc
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--data-file {path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"--data-file {path} must hold one JSON object of key: value")
    return data


def as_of(text: str | None, zone_name: str = DEFAULT_ZONE_NAME):
    from zoneinfo import ZoneInfo

    from banli.engine.times import parse_instant, utc_now

    return parse_instant(text, ZoneInfo(zone_name), "--as-of") if text else utc_now()
