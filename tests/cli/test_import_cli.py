"""`banli item import`: exit codes, every problem as FILE:ROW: message, the --json document."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent.parent / "data" / "import"
GOOD, BAD = str(DATA / "suggestions.csv"), str(DATA / "bad.csv")


def test_a_good_file_is_imported(banli):
    result = banli("item", "import", GOOD, user="reg")
    assert result.exit_code == 0, result.stderr
    assert "6 item(s) imported into npc-suggestion" in result.stdout
    listed = banli("item", "list", "--json").json()
    assert [item["ref"] for item in listed] == [f"16-1-00{n}" for n in range(1, 7)]
    shown = banli("item", "show", "16-1-003", "--json").json()
    assert shown["deputies"] == ["张三", "王五"] and shown["fields"]["category"] == "科教文卫"


def test_a_bad_file_lists_every_problem_and_imports_nothing(banli):
    result = banli("item", "import", BAD, user="reg")
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert [line.split(":", 2)[1] for line in lines[:-1]] == ["1", "3", "4", "5", "7", "8", "9"]
    assert lines[1] == (f"{BAD}:3: deputies: unknown deputy '张叁' (did you mean 张三?); "
                        "deputies come from the organisation file ('banli org load')")
    assert lines[-1] == "banli: 7 error(s) in 7 row(s); nothing was imported"  # 16-1-900 is not in this db
    assert banli("item", "list", "--json").json() == []


def test_json_report(banli):
    refused = banli("item", "import", BAD, "--json", user="reg")
    assert refused.exit_code == 3
    document = refused.json()
    assert {k: document[k] for k in ("file", "workflow", "rows", "imported", "dry_run")} == \
        {"file": BAD, "workflow": "npc-suggestion", "rows": 9, "imported": 0, "dry_run": False}
    assert document["errors"][0] == {"row": 1, "column": "备注", "message": document["errors"][0]["message"]}
    assert {"row": 9, "column": "submitted_on",
            "message": "2099-01-01 is in the future; it is the day the suggestion was submitted"} in document["errors"]
    assert banli("item", "import", BAD, "--json", "--dry-run", user="reg").json()["dry_run"] is True
    done = banli("item", "import", GOOD, "--json", user="reg")
    assert done.exit_code == 0
    assert done.json() == {"file": GOOD, "workflow": "npc-suggestion", "rows": 6, "imported": 6, "dry_run": False,
                           "errors": []}


def test_dry_run_imports_nothing(banli):
    result = banli("item", "import", GOOD, "--dry-run", "--workflow", "npc-suggestion", user="reg")
    assert result.exit_code == 0, result.stderr
    assert "6 row(s) checked, no errors; dry run: nothing was imported" in result.stdout
    assert banli("item", "list", "--json").json() == []


def test_importing_twice_is_refused_the_second_time(banli):
    assert banli("item", "import", GOOD, user="reg").exit_code == 0
    again = banli("item", "import", GOOD, user="reg")
    assert again.exit_code == 3
    assert again.stderr.splitlines()[-1] == "banli: 6 error(s) in 6 row(s); nothing was imported"


def test_exit_codes(banli, tmp_path):
    assert banli("item", "import", GOOD, user="li").exit_code == 4  # a unit's staff may not register
    assert banli("item", "import", GOOD).exit_code == 4  # nobody said who they are
    assert banli("item", "import", GOOD, "--workflow", "no-such", user="reg").exit_code == 7
    missing = banli("item", "import", str(tmp_path / "nope.csv"), user="reg")
    assert missing.exit_code == 3 and "no such file" in missing.stderr
    old = tmp_path / "ledger.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert banli("item", "import", str(old), user="reg").exit_code == 3
    assert banli("item", "list", "--json").json() == []


def test_a_workbook_imports_what_its_csv_imports_and_the_trace_verifies(banli, tmp_path):
    import csv

    import openpyxl

    workbook = openpyxl.Workbook()
    for row in csv.reader(Path(GOOD).read_text(encoding="utf-8").splitlines(keepends=True)):
        workbook.active.append(row or [None])
    workbook.save(tmp_path / "suggestions.xlsx")
    result = banli("item", "import", str(tmp_path / "suggestions.xlsx"), user="reg")
    assert result.exit_code == 0, result.stderr
    assert "6 item(s) imported into npc-suggestion" in result.stdout
    listed = banli("item", "list", "--json").json()
    assert [(item["ref"], item["state"]) for item in listed] == [(f"16-1-00{n}", "registered") for n in range(1, 7)]
    verified = banli("audit", "verify")
    assert verified.exit_code == 0, verified.stderr


def test_a_file_that_is_not_a_workbook_is_one_line(banli, tmp_path):
    fake = tmp_path / "ledger.xlsx"
    fake.write_text("编号,标题\n", encoding="utf-8")
    result = banli("item", "import", str(fake), user="reg")
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines() == [
        f"banli: {fake}: not a readable .xlsx workbook (File is not a zip file)"]
