"""The guard and effect registries: Python functions a definition names.

Built-ins live in `banli.engine.builtins`; other packages add their own through the entry
point groups `banli.guards` and `banli.effects` (`name = "package.module:function"`; a
guard function with the attribute `banli_on_data = True` judges data, see below).

A guard is `guard(ctx, **params) -> str | None`: None lets the event pass, a string says why
it may not. A guard registered with `on_data=True` judges the event's data (a reply's
salutation, say) and runs after the data is checked, so its refusal is invalid input
(exit 3) rather than "not allowed now" (exit 5). An effect is `effect(ctx, **params)`: it
runs inside the event's transaction, and if it raises, nothing of the event is kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Callable


@dataclass(frozen=True)
class Registered:
    name: str
    function: Callable
    on_data: bool = False


_guards: dict[str, Registered] = {}
_effects: dict[str, Registered] = {}
_loaded = False
_loading = threading.Lock()


def guard(name: str, *, on_data: bool = False) -> Callable:
    """Decorator: register a guard under `name`."""

    def register(function: Callable) -> Callable:
        _guards[name] = Registered(name, function, on_data)
        return function

    return register


def effect(name: str) -> Callable:
    """Decorator: register an effect under `name`."""

    def register(function: Callable) -> Callable:
        _effects[name] = Registered(name, function)
        return function

    return register


def _load() -> None:
    """Register the built-ins and the entry points' guards and effects, once. Under a lock, and
    marked loaded only when filled: a web server's threads may ask at the same moment, and one
    must not see the registries half-filled."""
    global _loaded
    if _loaded:
        return
    with _loading:
        if _loaded:
            return
        from banli.engine import builtins

        for name, (function, on_data) in builtins.GUARDS.items():
            _guards.setdefault(name, Registered(name, function, on_data))
        for name, function in builtins.EFFECTS.items():
            _effects.setdefault(name, Registered(name, function))
        for group, table in (("banli.guards", _guards), ("banli.effects", _effects)):
            for entry in entry_points(group=group):
                function = entry.load()
                table[entry.name] = Registered(entry.name, function, getattr(function, "banli_on_data", False))
        _loaded = True


def guards() -> dict[str, Registered]:
    _load()
    return _guards


def effects() -> dict[str, Registered]:
    _load()
    return _effects
