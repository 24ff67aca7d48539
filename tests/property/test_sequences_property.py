"""Event sequences on the built-in npc-suggestion workflow: random events, valid or not, fired
by random actors on an item and its co-unit tasks. Every step keeps the CLI contract, a
refused step changes nothing, and at the end `audit verify` finds the record intact."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from tests.property.conftest import budget, check, databases_fixture, invoke, refusal_changes_nothing
from tests.property.scenario import EVENTS, HANDLING, NEW, PEOPLE, SETUP, data_keys, field_values
from tests.property.strategies import durations, odd_text, times

databases = databases_fixture(SETUP)
ACTORS = PEOPLE + ["system", "nobody"]


def _allowed(url: str, ref: str, user: str) -> list[str]:
    """The events `user` may fire on `ref` now, as `banli can` says."""
    result = check(invoke(url, "can", ref, "--json", user=user), allowed={0, 3, 4, 7})
    if result.exit_code != 0:
        return []
    return [entry["event"] for entry in json.loads(result.stdout) if entry["allowed"]]


@st.composite
def step(draw, url: str) -> tuple[str, list[str]]:
    user = draw(st.sampled_from(ACTORS), label="user")
    ref = draw(st.sampled_from([NEW, HANDLING, f"{HANDLING}/czj", f"{HANDLING}/jyj", f"{NEW}/czj"]), label="ref")
    possible = _allowed(url, ref, user) if draw(st.integers(0, 3)) else []
    event = draw(st.sampled_from(possible) if possible else st.sampled_from(EVENTS), label="event")
    valid = draw(st.integers(0, 4)) > 0
    pairs = []
    for key in data_keys(event):
        if valid or draw(st.booleans()):
            value = draw(st.sampled_from(field_values(key)) if valid else st.one_of(odd_text, durations))
            pairs.append(f"--data={key}={value}")
    at = [] if draw(st.integers(0, 5)) else ["--at", draw(times, label="at")]
    return user, ["fire", ref, event, *pairs, *at, "--json"]


@budget(20)
@given(st.data())
def test_random_event_sequences_keep_the_contract_and_the_record(databases, data):
    url = databases.fresh()
    for _ in range(data.draw(st.integers(3, 14), label="steps")):
        user, args = data.draw(step(url))
        result = refusal_changes_nothing(url, *args, user=user)
        if result.exit_code == 0:
            body = json.loads(result.stdout)
            assert {"ref", "event", "from", "to", "version", "seq", "hash"} <= set(body), result.describe()
    if data.draw(st.booleans()):
        check(invoke(url, "remind"), allowed={0})
    verified = check(invoke(url, "audit", "verify", "--json"), allowed={0})
    assert json.loads(verified.stdout)["ok"] is True, verified.stdout
