"""Key suggestions (重点建议) led by a county leader, and the same suggestion made again (多次提议),
on npc-suggestion: the leader named in `lead_leader` holds that role on the item alone (批示,
督办), is told when the suggestion is made key, and the lead unit and the supervision office
are told of the instruction; an item links earlier items, which must exist and not be itself,
and its page data shows their history."""

from __future__ import annotations

import pytest

from banli.engine.related import related
from banli.errors import InvalidInput, NotAllowedNow, NotPermitted
from banli.notify import list_deliveries
from tests.conftest import DATA
from tests.unit.steps import assigned_on

LEADERS = ("  - {id: ld-zhou, name: 周副县长, roles: [leader]}\n"
           "  - {id: ld-wu, name: 吴副县长, roles: [leader]}\n")


@pytest.fixture
def leaders(store, tmp_path):
    """The test organisation with two county leaders (role leader) added."""
    from banli.engine.org import read_org
    from banli.store.operator import apply_org

    text = (DATA / "org.yaml").read_text(encoding="utf-8").replace("people:\n", "people:\n" + LEADERS, 1)
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    apply_org(store, read_org(path), "test", "2026-01-02T00:00:00.000000")
    return store


def recipients(store, ref: str, subject: str) -> list[str]:
    return sorted(row["recipient"] for row in list_deliveries(store) if row["ref"] == ref and subject in row["subject"])


def test_a_key_suggestion_is_led_by_its_county_leader_who_instructs_and_supervises(leaders, runtime):
    assigned_on(runtime, "16-1-001", "2026-03-02")
    with pytest.raises(NotPermitted, match="may not fire 'instruct' on 16-1-001: it needs the role lead_leader"):
        runtime.fire("16-1-001", "instruct", "ld-zhou", {"text": "请住建局抓紧办理"}, at="2026-03-03T09:00")
    runtime.fire("16-1-001", "mark_key", "wang", {"lead_leader": "ld-zhou"}, at="2026-03-03T09:00")
    with leaders.read() as tx:
        item = tx.item("16-1-001")
    assert item.fields["key"] is True and item.fields["lead_leader"] == "ld-zhou"
    assert recipients(leaders, "16-1-001", "列为重点建议") == ["ld-zhou", "li"]

    runtime.fire("16-1-001", "instruct", "ld-zhou", {"text": "请住建局一把手亲自督办，月底前拿出方案"}, at="2026-03-04T09:00")
    assert recipients(leaders, "16-1-001", "领导批示") == ["li", "wang"]
    with pytest.raises(NotPermitted):  # another county leader holds no role on this item
        runtime.fire("16-1-001", "instruct", "ld-wu", {"text": "同意"}, at="2026-03-05T09:00")
    with pytest.raises(InvalidInput, match="needs data 'text'"):
        runtime.fire("16-1-001", "instruct", "ld-zhou", {}, at="2026-03-05T09:00")
    runtime.fire("16-1-001", "supervise", "ld-zhou", {"note": "现场督办"}, at="2026-03-06T09:00")

    shown = related(leaders, "16-1-001")
    assert shown["role_holders"] == [{"role": "lead_leader", "label": "分管县领导", "id": "ld-zhou", "name": "周副县长"}]
    assert shown["earlier"] == []


def test_the_leader_must_be_a_person_of_the_organisation(leaders, runtime):
    assigned_on(runtime, "16-1-002", "2026-03-02")
    with pytest.raises(InvalidInput, match="no person 'nobody'"):
        runtime.fire("16-1-002", "mark_key", "wang", {"lead_leader": "nobody"}, at="2026-03-03T09:00")
    with pytest.raises(NotPermitted):  # a unit may not make its own suggestion key
        runtime.fire("16-1-002", "mark_key", "li", {"lead_leader": "ld-zhou"}, at="2026-03-03T09:00")


def _register(runtime, ref: str, session: str, **fields) -> None:
    runtime.create(workflow_id="npc-suggestion", ref=ref, title="关于多部门联合加强电动车治理的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设", "session": session, **fields},
                   at="2026-01-05T09:00")


def test_a_suggestion_made_again_shows_the_history_of_the_earlier_ones(store, runtime):
    _register(runtime, "14-5-073", "14-5")
    _register(runtime, "15-5-073", "15-5", earlier="14-5-073")
    _register(runtime, "16-1-073", "16-1")
    runtime.fire("16-1-073", "link_earlier", "reg", {"earlier": "15-5-073、14-5-073"}, at="2026-01-06T09:00")

    with store.read() as tx:
        assert tx.item("16-1-073").fields["earlier"] == ["15-5-073", "14-5-073"]
    earlier = related(store, "16-1-073")["earlier"]
    assert [(e["ref"], e["session"], e["state_label"]) for e in earlier] == [
        ("15-5-073", "15-5", "已登记"), ("14-5-073", "14-5", "已登记")]
    # links of links are followed: 15-5-073 names 14-5-073
    assert [e["ref"] for e in related(store, "15-5-073")["earlier"]] == ["14-5-073"]


def test_a_link_to_an_unknown_item_or_to_the_item_itself_is_refused(store, runtime):
    with pytest.raises(InvalidInput, match="there is no item 15-5-999"):
        _register(runtime, "16-1-074", "16-1", earlier="15-5-999")
    _register(runtime, "16-1-074", "16-1")
    with pytest.raises(InvalidInput, match="names 16-1-074 itself"):
        runtime.fire("16-1-074", "link_earlier", "reg", {"earlier": "16-1-074"}, at="2026-01-06T09:00")
    with pytest.raises(NotPermitted):
        runtime.fire("16-1-074", "link_earlier", "li", {"earlier": "16-1-074"}, at="2026-01-06T09:00")
    with store.read() as tx:
        assert "earlier" not in tx.item("16-1-074").fields


def test_mark_key_is_not_possible_before_the_suggestion_is_filed(leaders, runtime):
    _register(runtime, "16-1-075", "16-1")
    with pytest.raises(NotAllowedNow):
        runtime.fire("16-1-075", "mark_key", "wang", {"lead_leader": "ld-zhou"}, at="2026-01-06T09:00")
