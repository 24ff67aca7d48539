"""People's words (issue 16, point 2, in part): a unit or a person given by name as well as by
id, a date written 2026/2/1, 2026.2.1 or 2026年2月1日 as well as 2026-02-01; the item stores
the ids and ISO text, and a name that fits no one, or two, is refused in one line."""

from __future__ import annotations

import pytest

from tests.cli.conftest import DATA, TO_HANDLING, walk

BEFORE_ASSIGNING = TO_HANDLING[:4]


def test_units_are_taken_by_name_and_the_date_as_people_write_it(banli, suggestion):
    walk(banli, suggestion, BEFORE_ASSIGNING)
    assigned = banli("fire", suggestion, "assign", "--at", "2026/2/1 9:30", "--data", "lead_unit=县住建局",
                     "--data", "co_units=县财政局、jyj", "--data", "mode=会办", user="wang")
    assert assigned.exit_code == 0, assigned.stderr

    shown = banli("item", "show", suggestion, "--json").json()
    assert shown["fields"]["lead_unit"] == "zjj" and shown["fields"]["co_units"] == ["czj", "jyj"]
    assert shown["trace"][-1]["occurred_at"].startswith("2026-02-01T09:30")


@pytest.mark.parametrize("written, late", [("2026/5/10", True), ("2026.5.10", True), ("2026年5月10日", True),
                                           ("2026-05-10", True), ("2026/4/1", False), ("2026年4月30日 23:59", False)])
def test_as_of_takes_a_date_as_people_write_it(banli, suggestion, written, late):
    walk(banli, suggestion, TO_HANDLING)  # assigned on 1 February 2026: the reply is due by the end of 1 May
    listed = banli("item", "list", "--overdue", "--as-of", written, "--json")
    assert listed.exit_code == 0, listed.stderr
    assert [item["ref"] for item in listed.json()] == ([suggestion] if late else [])


def test_a_person_is_taken_by_name(banli, suggestion, tmp_path):
    org = tmp_path / "org.yaml"
    org.write_text((DATA / "org.yaml").read_text(encoding="utf-8").replace(
        "people:\n", "people:\n  - {id: ld-zhou, name: 周副县长, roles: [leader]}\n", 1), encoding="utf-8")
    assert banli("org", "load", str(org), user="wang").exit_code == 0
    walk(banli, suggestion, TO_HANDLING)
    walk(banli, suggestion, [("wang", "mark_key", {"lead_leader": "周副县长"}, "2026-02-03T09:00")])
    assert banli("item", "show", suggestion, "--json").json()["fields"]["lead_leader"] == "ld-zhou"


@pytest.mark.parametrize("data, said", [
    ("lead_unit=县水利局", "'lead_unit': no unit '县水利局' in the organisation file (by id or by name)"),
    ("lead_unit=县住建", "'lead_unit': no unit '县住建' in the organisation file (by id or by name)"),
], ids=["unknown", "part-of-a-name"])
def test_a_unit_no_one_is_called_is_refused_in_one_line(banli, suggestion, data, said):
    walk(banli, suggestion, BEFORE_ASSIGNING)
    refused = banli("fire", suggestion, "assign", "--at", "2026-02-01T09:00", "--data", data, "--data", "mode=会办",
                    user="wang")
    assert refused.exit_code == 3 and said in refused.stderr and len(refused.stderr.splitlines()) == 1


def test_a_name_two_people_share_is_refused_naming_both(banli, suggestion, tmp_path):
    org = tmp_path / "org.yaml"
    org.write_text((DATA / "org.yaml").read_text(encoding="utf-8").replace(
        "people:\n", "people:\n  - {id: ld-a, name: 王县长, roles: [leader]}\n  - {id: ld-b, name: 王县长, roles: [leader]}\n",
        1), encoding="utf-8")
    assert banli("org", "load", str(org), user="wang").exit_code == 0
    walk(banli, suggestion, TO_HANDLING)
    refused = banli("fire", suggestion, "mark_key", "--at", "2026-02-03T09:00", "--data", "lead_leader=王县长",
                    user="wang")
    assert refused.exit_code == 3, refused.stderr
    assert "2 persons are called 王县长 (ld-a, ld-b); give the id of the one you mean" in refused.stderr


def test_a_choice_is_taken_by_its_label_and_kept_as_its_value(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING)
    fired = banli("fire", suggestion, "contact", "--at", "2026-02-03T09:00", "--data", "method=面对面",
                  "--data", "stage=办理前", user="li")
    assert fired.exit_code == 0, fired.stderr
    data = banli("item", "show", suggestion, "--json").json()["trace"][-1]["data"]
    assert (data["method"], data["stage"]) == ("face_to_face", "before")
    refused = banli("fire", suggestion, "contact", "--at", "2026-02-03T10:00", "--data", "method=当面谈", user="li")
    assert refused.exit_code == 3 and len(refused.stderr.splitlines()) == 1
    assert "'method' must be one of phone (电话), face_to_face (面对面), visit (走访)" in refused.stderr
