"""What a campaign's `result` event does besides setting its field: the outcome is checked
against the outcomes allowed for the item's kind (recorded when the campaign selected it),
written on the item's task, and may name an event the system fires next (`then`), in the
same transaction — a look-back outcome that reopens a closed item.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from banli.engine.campaign_keys import KIND_KEY
from banli.engine.model import Campaign, Definition
from banli.engine.records import SYSTEM_ACTOR, Fired, ItemRecord
from banli.engine.times import utc_text
from banli.errors import InvalidInput
from banli.i18n import _, either


def record(tx, definition: Definition, item: ItemRecord, event: str, fields: dict, when: datetime) -> str | None:
    """Record the outcomes event `event` sets on the item's tasks; returns the event the
    system fires next, if an outcome calls for one. Raises InvalidInput (nothing written) for
    an outcome its kind does not allow."""
    follow = None
    for campaign in definition.campaigns.values():
        if campaign.result != event or fields.get(campaign.outcome) is None:
            continue
        outcome = str(fields[campaign.outcome])
        _check(tx, campaign, item, event, outcome)
        tx.record_outcome(item.id, campaign.name, outcome, utc_text(when))
        follow = follow or campaign.follow_up(outcome)
    return follow


def kind_of(tx, campaign: Campaign, item_id: int) -> str | None:
    """The kind the campaign gave the item when it last selected it (the data 'kind' of its event)."""
    for row in reversed(tx.trace(item_id)):
        if row["event"] == campaign.fire:
            data = row["data"] if isinstance(row["data"], dict) else json.loads(row["data"] or "{}")
            return data.get(KIND_KEY)
    return None


def _check(tx, campaign: Campaign, item: ItemRecord, event: str, outcome: str) -> None:
    if not any(selector.outcomes for selector in campaign.select):
        return
    kind = kind_of(tx, campaign, item.id)
    allowed = campaign.allowed(kind) if kind else ()
    if allowed and outcome not in allowed:
        raise InvalidInput(_("'{event}' on {ref}: '{outcome}' is not an outcome of a {kind} item in {campaign}; "
                             "choose {allowed}").format(event=event, ref=item.ref, outcome=outcome, kind=kind,
                                                        campaign=campaign.label, allowed=either(allowed)),
                           ref=item.ref, event=event)


def then(runtime, tx, fired: Fired, event: str | None, when: datetime) -> Fired:
    """Fire `event` as the system right after `fired`; what the caller is told is the item as
    both left it (its state, version and latest trace row)."""
    if event is None:
        return fired
    follow = runtime.fire_in(tx, fired.ref, event, SYSTEM_ACTOR, {}, when)
    return replace(fired, to_state=follow.to_state, version=follow.version, seq=follow.seq, hash=follow.hash)
