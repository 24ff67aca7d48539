"""Fields that record an outcome of the handling (result class, rating, fulfilment, look-back
outcome: `outcome: true` in npc-suggestion) are set only by the events that record them: an
import or a registration that gives one is refused (exit 3, every row named, nothing
imported), naming those events; a field the registrar gives and an event may correct stays
allowed. The issue's attack: a row registering 满意 and class A on an item still 已登记."""

from __future__ import annotations

RATING_REFUSED = ("'rating' is set by the events rate (代表评价), rate_again (代表再次评价), rating_lapsed (逾期未评价), "
                  "final_rating_lapsed (逾期未再次评价); leave the column out")
CLASS_REFUSED = "'result_class' is set by the events reply (答复代表), accept_reply (答复审核通过); leave the column out"


def _csv(tmp_path, text: str) -> str:
    path = tmp_path / "import.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_an_import_giving_a_rating_and_a_class_is_refused_row_by_row(banli, tmp_path):
    path = _csv(tmp_path, "编号,标题,代表,类别,代表评价,办理结果\n"
                          "16-1-001,关于加强物业管理的建议,张三,城市建设,满意,A\n"
                          "16-1-002,关于增设公交站点的建议,李四,工交财贸,,\n"
                          "16-1-003,关于整治背街小巷的建议,王五,城市建设,基本满意,\n")

    result = banli("item", "import", path, user="reg")

    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"{path}:2: 代表评价: {RATING_REFUSED}",
        f"{path}:2: 办理结果: {CLASS_REFUSED}",
        f"{path}:4: 代表评价: {RATING_REFUSED}",
        "banli: 3 error(s) in 2 row(s); nothing was imported",
    ]
    assert banli("item", "list", "--json").json() == []
    dry = banli("item", "import", path, "--dry-run", "--json", user="reg")
    assert dry.exit_code == 3 and {error["row"] for error in dry.json()["errors"]} == {2, 4}


def test_registering_one_item_with_an_outcome_is_refused(banli):
    result = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-001", "--title", "关于加强物业管理的建议",
                   "--deputy", "张三", "--field", "category=城市建设", "--field", "fulfilled=true", user="reg")

    assert result.exit_code == 3
    assert result.stderr.strip() == ("banli: item 16-1-001: 'fulfilled' is set by the event fulfil (承诺落实); "
                                     "leave --field fulfilled out")
    assert banli("item", "list", "--json").json() == []


def test_a_field_the_registrar_gives_and_an_event_corrects_stays_allowed(banli):
    added = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-001", "--title", "关于加强物业管理的建议",
                  "--deputy", "张三", "--field", "category=城市建设", "--field", "session=16-1",
                  "--at", "2026-01-10T09:00", user="reg")
    assert added.exit_code == 0, added.stderr

    sorted_ = banli("fire", "16-1-001", "sort", "--data", "category=社会建设", "--at", "2026-01-11T09:00", user="reg")

    assert sorted_.exit_code == 0, sorted_.stderr
    assert banli("item", "show", "16-1-001", "--json").json()["fields"] == {"category": "社会建设", "session": "16-1"}
