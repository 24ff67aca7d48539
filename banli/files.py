"""Reading and writing the files users hand banli, with one clear error line each."""

from __future__ import annotations

import functools
import gc
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from banli.errors import InvalidInput
from banli.i18n import _

Model = TypeVar("Model", bound=BaseModel)


def read_yaml_model(path: str | Path, model: type[Model], what: str) -> Model:
    """A YAML file checked against a pydantic model; any problem is one InvalidInput line.
    `what` names the file for people, in English marked `N_()` by the caller (translated here)."""
    what = _(what)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(_("{what} {path} not found").format(what=what, path=path)) from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(_("{path}: not UTF-8 text; save the {what} as UTF-8").format(path=path, what=what)) from exc
    except yaml.YAMLError as exc:
        reason = str(exc).replace("\n", " ")
        raise InvalidInput(_("{path}: not valid YAML: {reason}").format(path=path, reason=reason)) from exc
    try:
        return model.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = first["msg"]  # pydantic's words, in English
        if exc.error_count() > 1:
            problem = _("{problem} (and {more} more)").format(problem=problem, more=exc.error_count() - 1)
        raise InvalidInput(f"{path}: {where}: {problem}" if where else f"{path}: {problem}") from exc


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Write beside `path`, then move into place: a failed write leaves no half a file."""
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as exc:
        raise InvalidInput(_("cannot write {path}: {reason}; check that its folder exists and is writable").format(
            path=path, reason=exc.strerror)) from exc
    finally:
        temporary.unlink(missing_ok=True)


def collector_paused(step: Callable) -> Callable:
    """`step` run with Python's cyclic garbage collector paused. A 100,000-row file is millions
    of objects, none of them in a cycle, and each full collection walks every one of them:
    that was a fifth of an import's time. Whatever cycles the step leaves are collected after."""

    @functools.wraps(step)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return step(*args, **kwargs)
        gc.disable()
        try:
            return step(*args, **kwargs)
        finally:
            gc.enable()

    return paused
