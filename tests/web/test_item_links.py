"""The item page of a key suggestion (重点建议) shows its county leader by name among its
fields, and of a
suggestion made again (多次提议) the earlier items with their session, state and outcome —
escaped, and only those the reader may see; the API's item carries the same."""

from __future__ import annotations

import re

import pytest

from tests.conftest import DATA

EVIL = "<script>alert(1)</script>关于电动车治理的建议"


@pytest.fixture
def linked(store, runtime, suggestions, tmp_path):
    """16-1-001 (县住建局) made key under county leader 周副县长, and linked to 15-5-001, an
    earlier suggestion handled by 县教育局 (which 县住建局's clerk may not see) and to 15-5-002,
    handled by 县住建局."""
    from banli.engine.org import read_org
    from banli.store.operator import apply_org

    text = (DATA / "org.yaml").read_text(encoding="utf-8").replace(
        "people:\n", "people:\n  - {id: ld-zhou, name: 周副县长, roles: [leader]}\n", 1)
    (tmp_path / "org.yaml").write_text(text, encoding="utf-8")
    apply_org(store, read_org(tmp_path / "org.yaml"), "test", "2026-01-02T00:00:00.000000")
    for ref, unit in (("15-5-001", "jyj"), ("15-5-002", "zjj")):
        runtime.create(workflow_id="npc-suggestion", ref=ref, title=EVIL if unit == "jyj" else "关于加强物业管理的建议",
                       actor="reg", deputies=["张三"], fields={"category": "城市建设", "session": "15-5"},
                       at="2026-01-05T09:00")
        for user, event, data in (("reg", "sort", {"category": "城市建设"}), ("reg", "review", {}),
                                  ("reg", "audit", {}), ("npc", "approve", {}),
                                  ("wang", "assign", {"lead_unit": unit, "mode": "单独办理"})):
            runtime.fire(ref, event, user, data, at="2026-01-06T09:00")
    runtime.fire("16-1-001", "link_earlier", "reg", {"earlier": "15-5-002,15-5-001"}, at="2026-05-27T10:00")
    runtime.fire("16-1-001", "mark_key", "wang", {"lead_leader": "ld-zhou"}, at="2026-05-27T11:00")
    return "16-1-001"


def test_the_page_shows_the_leader_and_the_earlier_items(browser, linked):
    page = browser("wang").get(f"/items/{linked}").text

    fields = re.search(r'<dl class="fields">.*?</dl>', page, re.S).group(0)
    assert "<dt>分管县领导</dt><dd>周副县长</dd>" in fields and "ld-zhou" not in fields  # the leader by name
    assert "<dt>重点建议</dt><dd>是</dd>" in fields
    earlier = re.search(r'<section class="card" id="earlier">.*?</section>', page, re.S).group(0)
    assert "多次提议" in earlier and "2 件" in earlier
    assert earlier.index("15-5-002") < earlier.index("15-5-001")  # in the order linked
    assert '<a href="/items/15-5-001">15-5-001</a>' in earlier and "<td>15-5</td>" in earlier and "已交办" in earlier
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in earlier


def test_a_unit_sees_only_the_earlier_items_it_may_see(browser, linked):
    page = browser("li").get(f"/items/{linked}").text

    earlier = re.search(r'<section class="card" id="earlier">.*?</section>', page, re.S).group(0)
    assert "15-5-002" in earlier and "15-5-001" not in earlier and "电动车" not in page
    assert "1 件" in earlier


def test_the_api_item_carries_the_leader_and_the_history(browser, linked):
    item = browser("wang").get(f"/api/items/{linked}").json()

    assert item["role_holders"] == [{"role": "lead_leader", "label": "分管县领导", "id": "ld-zhou", "name": "周副县长"}]
    assert [(e["ref"], e["session"], e["state"]) for e in item["earlier"]] == [
        ("15-5-002", "15-5", "assigned"), ("15-5-001", "15-5", "assigned")]
    assert item["fields"]["earlier"] == ["15-5-002", "15-5-001"] and item["fields"]["key"] is True


def test_an_item_without_links_shows_neither(browser, suggestions):
    page = browser("wang").get("/items/16-1-002").text

    assert 'id="earlier"' not in page and "分管县领导</dt>" not in page
