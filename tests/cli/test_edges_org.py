"""Org files at the edges (issue 14, item 4 and the org half of item 6): every broken file in
tests/data/org-broken is refused with exit 3, one FILE:LINE:COL line per problem where its
`# expect:` lines say, and nothing loaded; a good file loads again as it did."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

DATA = Path(__file__).resolve().parent.parent / "data"
BROKEN = sorted((DATA / "org-broken").glob("*.yaml"))
_EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")


def _expected(path: Path) -> list[tuple[int, int, str]]:
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()  # invalid-utf8.yaml is not UTF-8
    found = [_EXPECT.match(line) for line in lines if line.startswith("# expect:")]
    assert found and all(found), f"{path.name} needs '# expect: LINE:COL: text' lines"
    return [(int(match[1]), int(match[2]), match[3]) for match in found]


def _org_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "org.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_folder_holds_the_cases():
    assert len(BROKEN) >= 20


@pytest.mark.parametrize("path", BROKEN, ids=lambda path: path.stem)
def test_a_broken_org_file_names_every_problem_and_loads_nothing(banli, path):
    before = banli("org", "show", "--json").json()

    result = banli("org", "load", str(path))

    assert result.exit_code == 3, result.stderr
    lines = result.stderr.splitlines()
    problems = [re.match(rf"^{re.escape(str(path))}:(\d+):(\d+): (.+)$", line) for line in lines]
    assert all(problems), lines
    expected = _expected(path)
    assert len(problems) == len(expected), lines
    for line, column, text in expected:
        assert any((int(p[1]), int(p[2])) == (line, column) and text in p[3] for p in problems), \
            f"no problem at {line}:{column} containing {text!r}; got {lines}"
    assert result.stdout == ""
    assert banli("org", "show", "--json").json() == before


def test_json_lists_the_problems_and_nothing_else(banli):
    path = DATA / "org-broken" / "missing-references.yaml"

    result = banli("org", "load", str(path), "--json")

    assert result.exit_code == 3
    answer = result.json()
    assert answer["file"] == str(path) and answer["loaded"] is False
    assert [(error["line"], error["column"]) for error in answer["errors"]] == [(4, 45), (5, 33), (6, 34)]
    assert result.stderr == ""


def test_a_file_of_many_problems_shows_the_first_hundred(banli, tmp_path):
    people = "".join(f"  - {{id: p{index}, name: 人{index}, roles: [boss]}}\n" for index in range(150))

    result = banli("org", "load", _org_file(tmp_path, "people:\n" + people))

    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert len(lines) == 101
    assert lines[0].endswith(":2:31: people[0].roles: unknown role 'boss'; roles are: registrar, reviewer, "
                             "supervisor, unit, deputy, npc_office, auditor, admin, leader")
    assert lines[-1].endswith("org.yaml: 50 more problems not shown; correct these and load the file again")


def test_a_huge_file_is_refused_before_it_is_parsed(banli, tmp_path):
    from banli.engine.org_file import MAX_BYTES

    path = tmp_path / "org.yaml"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("deputies:\n")
        handle.write("  - 张三\n" * (MAX_BYTES // 10 + 1))

    result = banli("org", "load", str(path))

    assert result.exit_code == 3
    assert result.stderr.splitlines() == [(f"{path}:1:1: the file is larger than 4 MiB; an organisation file lists "
                                            "units, people and deputies, and is far smaller: is this the right file?")]


def test_a_missing_file_is_exit_3(banli, tmp_path):
    missing = banli("org", "load", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 3 and "file not found" in missing.stderr


def test_email_addresses_load_and_show(banli, tmp_path):
    org = ("units:\n  - {id: zjj, name: 县住建局}\n"
           "people:\n  - {id: li, name: 李华, roles: [unit], unit: zjj, email: lihua@zjj.xiping.gov.cn}\n")

    result = banli("org", "load", _org_file(tmp_path, org))

    assert result.exit_code == 0, result.stderr
    people = {person["id"]: person for person in banli("org", "show", "--json").json()["people"]}
    assert people["li"]["email"] == "lihua@zjj.xiping.gov.cn"


def test_loading_again_updates_and_deletes_nothing(banli, tmp_path, suggestion):
    org = ("units:\n  - {id: zjj, name: 县住房和城乡建设局}\n"
           "people:\n  - {id: li, name: 李华, roles: [unit, supervisor], unit: zjj, email: li@xiping.gov.cn}\n"
           "deputies: [赵九]\n")

    result = banli("org", "load", _org_file(tmp_path, org), "--json")

    assert result.exit_code == 0, result.stderr
    assert result.json() == {"units": 1, "people": 1, "deputies": 1}
    shown = banli("org", "show", "--json").json()
    units = {unit["id"]: unit["name"] for unit in shown["units"]}
    people = {person["id"]: person for person in shown["people"]}
    assert units["zjj"] == "县住房和城乡建设局" and {"czj", "jyj", "rd-xgw"} <= set(units)
    assert people["li"]["roles"] == ["unit", "supervisor"] and people["li"]["email"] == "li@xiping.gov.cn"
    assert {"wang", "zhang", "lisi"} <= set(people)
    assert {"张三", "李四", "王五", "赵九"} <= set(shown["deputies"])
    assert banli("item", "show", suggestion, "--json").exit_code == 0


def test_init_with_a_broken_org_file_is_exit_3_in_one_line(db_url):
    from banli.cli import cli

    outcome = CliRunner().invoke(cli, ["--db", db_url, "init", "--org", str(DATA / "org-broken" / "reserved-system.yaml")])

    assert outcome.exit_code == 3, outcome.output
    assert outcome.stderr.splitlines() == [
        f"banli: {DATA / 'org-broken' / 'reserved-system.yaml'}:2:10: people[0].id: the id 'system' is reserved for "
        "banli's scheduler, which acts as 'system'; choose another id"]


def test_init_with_a_broken_org_file_creates_no_database(tmp_path):
    from banli.cli import cli

    path = tmp_path / "banli.db"
    outcome = CliRunner().invoke(cli, ["--db", f"sqlite:///{path}", "init", "--org",
                                       str(DATA / "org-broken" / "reserved-system.yaml")])
    assert outcome.exit_code == 3, outcome.output
    assert not path.exists()
