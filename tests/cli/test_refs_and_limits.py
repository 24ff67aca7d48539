"""Refs and limits from the command line (SPEC §6): a ref is 1–128 characters without control
characters, '/' is reserved for child items, and every limit is refused with exit 3 and one
line, the same on SQLite and PostgreSQL — never a database's error (exit 1)."""

from __future__ import annotations

import csv

import pytest

from tests.cli.conftest import TO_HANDLING, walk

REPLY = {"result_class": "A", "text": "张三、李四代表：您好！关于物业管理……", "signer": "王局长", "contact_person": "李科长"}


def add(banli, ref: str, title: str = "关于整治占道经营的建议", *extra: str):
    return banli("item", "add", "--workflow", "npc-suggestion", "--ref", ref, "--title", title, "--deputy", "张三",
                 "--field", "category=城市建设", "--at", "2026-01-11T09:00", *extra, user="reg")


def one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_child_ref_registered_by_hand_is_refused_and_the_co_unit_keeps_its_task(banli, suggestion):
    """Issue 12: registering 16-1-001/czj before 16-1-001 is assigned to czj made the assignment
    skip czj, and the lead unit replied without czj's opinion."""
    squatter = add(banli, suggestion + "/czj", "县财政局协办意见（冒名）")

    assert squatter.exit_code == 3
    assert "'/' is reserved for the units' child items" in one_line_error(squatter)
    walk(banli, suggestion, TO_HANDLING)  # assigned to zjj with co-unit czj, signed for
    shown = banli("item", "show", suggestion, "--json").json()
    assert [child["ref"] for child in shown["children"]] == [suggestion + "/czj"]
    early = banli("fire", suggestion, "reply", *[f"--data={k}={v}" for k, v in REPLY.items()], user="li")
    assert early.exit_code == 5 and "县财政局" in one_line_error(early)


@pytest.mark.parametrize("ref, says", [
    ("Q" * 129, "the ref is 129 characters long; a ref has at most 128"),
    ("A" * 200, "the ref is 200 characters long; a ref has at most 128"),
    ("16-1-\x01073", "control character (U+0001)"),
    ("16-1-073\n", "control character (U+000A)"),
    ("  ", "the ref is empty"),
    ("16/1/073", "'/' is reserved"),
], ids=["129-chars", "200-chars", "control", "line-break", "blank", "slash"])
def test_a_bad_ref_is_refused_with_exit_3_on_every_backend(banli, ref, says):
    result = add(banli, ref)

    assert result.exit_code == 3
    assert says in one_line_error(result)
    assert banli("item", "list", "--json").json() == []


def test_a_ref_of_128_characters_is_registered(banli):
    ref = "16-1-" + "0" * 123
    result = add(banli, ref)
    assert result.exit_code == 0, result.stderr
    assert banli("item", "show", ref, "--json").json()["ref"] == ref


def test_its_co_units_task_would_need_a_longer_ref_so_the_assignment_is_refused(banli):
    ref = "16-1-" + "0" * 123
    assert add(banli, ref).exit_code == 0
    walk(banli, ref, TO_HANDLING[:4])

    assigned = banli("fire", ref, "assign", "--data", "lead_unit=zjj", "--data", "co_units=czj", "--data", "mode=会办",
                     user="wang")

    assert assigned.exit_code == 3
    assert "too long to assign co-units" in one_line_error(assigned)
    assert banli("item", "show", ref, "--json").json()["state"] == "filed"


@pytest.mark.parametrize("extra, says", [
    (["--field", "session=" + "十" * 65], "'session' has at most 64"),
    (["--content", "第一段\x00第二段"], "the content contains a control character (U+0000)"),
    (["--field", "session=16\x1b-1"], "the field 'session' contains a control character"),
], ids=["session-65", "nul-in-content", "escape-in-field"])
def test_texts_the_database_could_not_keep_are_refused_at_registration(banli, extra, says):
    result = add(banli, "16-1-009", "关于整治占道经营的建议", *extra)
    assert result.exit_code == 3
    assert says in one_line_error(result)


def test_a_title_is_one_line_and_a_content_may_have_several(banli):
    one_line = add(banli, "16-1-010", "关于整治\x00占道经营的建议")
    assert one_line.exit_code == 3 and "the title contains a control character (U+0000)" in one_line_error(one_line)
    broken = add(banli, "16-1-010", "关于整治\n占道经营的建议")
    assert broken.exit_code == 3 and "(it is one line of text)" in one_line_error(broken)

    several = add(banli, "16-1-010", "关于整治占道经营的建议", "--content", "一、现状\n\t占道经营严重。\r\n二、建议")

    assert several.exit_code == 0, several.stderr


def test_event_data_is_held_to_the_same_limits(banli, suggestion):
    long = banli("fire", suggestion, "sort", "--data", "category=城市建设", "--data", "session=" + "6" * 65, user="reg")
    assert long.exit_code == 3 and "data 'session' is 65 characters long" in one_line_error(long)
    nul = banli("fire", suggestion, "sort", "--data", "category=城市建设", "--data", "session=16\x00-1", user="reg")
    assert nul.exit_code == 3 and "control character (U+0000)" in one_line_error(nul)
    assert banli("item", "show", suggestion, "--json").json()["state"] == "registered"
    assert banli("fire", suggestion, "sort", "--data", "category=城市建设", "--data", "session=" + "6" * 64,
                 user="reg").exit_code == 0


def test_an_import_names_each_row_and_column_at_fault_and_imports_nothing(banli, tmp_path):
    path = tmp_path / "建议.csv"
    rows = [
        ["编号", "标题", "代表", "类别", "届次", "内容"],
        ["16-1-001", "关于加强物业管理的建议", "张三", "城市建设", "16-1", "一、现状\n\t二、建议"],  # fine
        ["16-1-002/czj", "冒名的协办任务", "张三", "城市建设", "16-1", ""],
        ["A" * 129, "过长的编号", "张三", "城市建设", "16-1", ""],
        ["16-1-004", "标题里有\x07响铃", "张三", "城市建设", "16-1", ""],
        ["16-1-005", "内容里有空字符", "张三", "城市建设", "16-1", "正文\x00结束"],
        ["16-1-006", "过长的届次", "张三", "城市建设", "十" * 65, ""],
        ["16-1-007", "标题\n两行", "张三", "城市建设", "16-1", ""],
    ]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)

    result = banli("item", "import", str(path), "--json", user="reg")

    assert result.exit_code == 3
    errors = {(error["row"], error["column"]): error["message"] for error in result.json()["errors"]}
    assert sorted(errors) == [(3, "编号"), (4, "编号"), (5, "标题"), (6, "内容"), (7, "届次"), (8, "标题")]
    assert "'/' is reserved" in errors[(3, "编号")] and "129 characters" in errors[(4, "编号")]
    assert "U+0007" in errors[(5, "标题")] and "U+0000" in errors[(6, "内容")]
    assert "at most 64" in errors[(7, "届次")] and "U+000A" in errors[(8, "标题")]
    assert banli("item", "list", "--json").json() == []


@pytest.mark.parametrize("org, says", [
    ("units:\n  - {id: " + "u" * 65 + ", name: 县住建局}\n", "an id has at most 64"),
    ("people:\n  - {id: wang, name: \"王\\0明\", roles: [supervisor]}\n", "control character (U+0000)"),
    ("deputies: [\"张\\x1b三\"]\n", "control character (U+001B)"),
], ids=["unit-id-65", "nul-in-name", "escape-in-deputy"])
def test_an_organisation_file_is_held_to_the_databases_limits(banli, tmp_path, org, says):
    path = tmp_path / "org.yaml"
    path.write_text(org, encoding="utf-8")

    result = banli("org", "load", str(path))

    assert result.exit_code == 3
    assert says in one_line_error(result)
