"""The demo's web accounts: one person of each role gets a password, which `banli demo`
prints, so that `banli serve --db banli-demo.db` can be tried at once in a browser.

These passwords are published in the README and printed on every run: the demo's database
is for trying banli, never for real work.
"""

from __future__ import annotations

from datetime import datetime

from banli.demo.cast import Cast

# (role, what the role is called, the demo password of that role's account)
ROLES = (
    ("supervisor", "督查室", "demo-督查室-2022"),
    ("npc_office", "人大选工委", "demo-人大-2022"),
    ("registrar", "登记审核", "demo-登记-2022"),
    ("unit", "承办单位（县住建局）", "demo-承办-2022"),
    ("deputy", "代表", "demo-代表-2022"),
    ("auditor", "审计", "demo-审计-2022"),
    ("leader", "分管县领导", "demo-领导-2022"),
)
DEMO_UNIT = "zjj"  # the unit whose handler's account is given out: it handles the most suggestions


def demo_accounts(store, cast: Cast, *, now: datetime) -> list[dict]:
    """Give one person of each role a password; returns [{"role", "label", "user", "name",
    "password"}] in ROLES order. The deputy is the one with the most suggestions."""
    from banli.engine import accounts

    people = {
        "supervisor": cast.supervisors[0], "npc_office": cast.npc_office, "registrar": cast.registrar,
        "unit": cast.staff[DEMO_UNIT].handler, "deputy": cast.deputy_person[_busiest_deputy(store, cast)],
        "auditor": _holder(store, "auditor"), "leader": _holder(store, "leader"),
    }
    given = []
    for role, label, password in ROLES:
        user = people[role]
        if user is None:
            continue
        accounts.set_password(store, user, password, by="demo", now=now)
        given.append({"role": role, "label": label, "user": user, "name": store.actor(user).name, "password": password})
    return given


def _busiest_deputy(store, cast: Cast) -> str:
    counts: dict[str, int] = {}
    with store.read() as tx:
        for ref, _definition, _state in store.items_of_workflow("npc-suggestion"):
            item = tx.item(ref)
            for name in tx.deputies(item.id):
                counts[name] = counts.get(name, 0) + 1
    return max(cast.deputies, key=lambda name: (counts.get(name, 0), -cast.deputies.index(name)))


def _holder(store, role: str) -> str | None:
    with store.read() as tx:
        return next((person.id for person in tx.people() if role in person.roles), None)
