"""`banli report annual` from the command line, on a session built to the seed report's
numbers: --json with SPEC §4's keys, Markdown on the terminal, --out in each format, errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from docx import Document as read_docx

from banli.cli import COMMANDS, Settings, cli
from banli.cli.report import report
from tests.conftest import _backends
from tests.integration.seed_report import seed_database

FIXED = {"session": "16-1", "total": 151,
         "by_category": {"科教文卫": 40, "工交财贸": 34, "农业农村": 44, "城市建设": 15, "社会建设": 18},
         "government_handled": 139,
         "by_result_class": {"A": {"count": 88, "percent": 58.28}, "B": {"count": 57, "percent": 37.75},
                             "C": {"count": 6, "percent": 3.97}},
         "rated": 148, "satisfaction_rate": 97.97, "satisfied": 130, "basically_satisfied": 15, "unsatisfied": 3,
         "replied_on_time_rate": 97.35, "face_to_face_rate": 94.04}


@pytest.fixture(scope="module", params=_backends())
def seed_url(request, tmp_path_factory):
    with seed_database(request.param, tmp_path_factory.mktemp("seed")) as store:
        yield store.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def banli(seed_url, monkeypatch):
    """`banli --db SEED …` through the top-level command, so errors show as users see them."""
    monkeypatch.setitem(COMMANDS, "report", ("banli.cli.report", "report", "Annual report, bulletins, unit scores."))
    runner = CliRunner()

    def invoke(*args: str, env: dict | None = None):
        return runner.invoke(cli, ["--db", seed_url, *args], catch_exceptions=False, env=env)

    return invoke


def test_json_has_the_fixed_keys_with_the_seed_figures(banli):
    result = banli("report", "annual", "--session", "16-1", "--as-of", "2023-05-10T09:00", "--json")

    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert {key: figures[key] for key in FIXED} == FIXED
    assert figures["as_of"] == "2023-05-10T09:00:00+08:00" and figures["first_round_satisfaction_rate"] == 96.62


def test_without_out_the_report_is_printed_as_markdown(banli):
    result = banli("report", "annual", "--session", "16-1", "--as-of", "2023-05-10T09:00", env={"BANLI_LANG": "zh_CN"})

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# 示范县人民政府关于人大十六届一次会议代表建议办理情况的报告")
    assert "由政府系统承办的139件，占建议总数的92%" in result.stdout and "代表满意率为97.97%" in result.stdout
    assert "![" not in result.stdout  # no chart files to link: the charts are drawn as text


@pytest.mark.parametrize("name", ["报告.docx", "报告.html", "报告.md"], ids=["docx", "html", "markdown"])
def test_out_writes_the_file_and_says_so(banli, tmp_path, name):
    path = tmp_path / name
    result = banli("report", "annual", "--session", "16-1", "--out", str(path), "--as-of", "2023-05-10")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{path}: session 16-1, 151 items, satisfaction 97.97%, replied on time 97.35%\n"
    assert path.stat().st_size > 10_000
    with_json = banli("report", "annual", "--session", "16-1", "--out", str(path), "--json")
    assert json.loads(with_json.stdout)["file"] == str(path)


def test_errors_are_one_line_with_their_exit_codes(banli, tmp_path):
    unknown = banli("report", "annual", "--session", "16-9")
    wrong_format = banli("report", "annual", "--session", "16-1", "--out", str(tmp_path / "报告.pdf"))
    missing = banli("report", "annual")

    assert (unknown.exit_code, unknown.stderr) == (7, "banli: no items of session '16-9'; sessions with items: 16-1\n")
    assert wrong_format.exit_code == 3 and wrong_format.stderr.count("\n") == 1 and ".docx" in wrong_format.stderr
    assert missing.exit_code == 2 and "--session" in missing.stderr


def test_the_group_runs_on_its_own_with_settings(seed_url, tmp_path):
    path = tmp_path / "report.docx"
    result = CliRunner().invoke(report, ["annual", "--session", "16-1", "--out", str(path)],
                                obj=Settings(seed_url, None, False), catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert len(read_docx(str(path)).tables) == 5
