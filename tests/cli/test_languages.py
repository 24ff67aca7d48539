"""The command line speaks Chinese by default and English with BANLI_LANG=en: its errors,
summaries and help, click's own words too; every help text of every command is translated."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from banli import i18n
from banli.i18n import build
from tests.cli.conftest import DATA


@pytest.fixture
def speak(db_url):
    """`speak(language, *args)`: banli run in-process with BANLI_LANG set, on an initialised database."""
    from banli.cli import cli

    runner = CliRunner()

    def invoke(language: str, *args: str):
        return runner.invoke(cli, ["--db", db_url, *args], env={"BANLI_LANG": language}, catch_exceptions=False)

    assert invoke("en", "init", "--org", str(DATA / "org.yaml")).exit_code == 0
    return invoke


def test_an_error_in_each_language(speak):
    chinese, english = speak("zh_CN", "item", "show", "16-9-999"), speak("en", "item", "show", "16-9-999")
    assert (chinese.exit_code, english.exit_code) == (7, 7)
    assert english.stderr == "banli: no item 16-9-999; see 'banli item list'\n"
    assert chinese.stderr == "banli: 没有事项 16-9-999；请用 'banli item list' 查看\n"


def test_a_summary_in_each_language(speak):
    add = ["--as", "reg", "item", "add", "--workflow", "npc-suggestion", "--title", "关于加强物业管理的建议",
           "--deputy", "张三", "--field", "category=城市建设", "--at", "2026-01-10T09:00"]
    assert speak("zh_CN", *add, "--ref", "16-1-001").stdout == "16-1-001 已登记：已登记（序号 1）\n"
    assert speak("en", *add, "--ref", "16-1-002").stdout == "16-1-002 registered: 已登记 (seq 1)\n"  # the state's label


def test_click_speaks_the_language_too(speak):
    chinese, english = speak("zh_CN", "item", "--bogus"), speak("en", "item", "--bogus")
    assert chinese.exit_code == english.exit_code == 2
    assert "错误：没有选项 '--bogus'。" in chinese.stderr and "用法:" in chinese.stderr
    assert "Error: No such option '--bogus'." in english.stderr and "Usage:" in english.stderr


def test_help_in_each_language(speak):
    chinese, english = speak("zh_CN", "--help"), speak("en", "--help")
    assert "登记、列出和查看事项（建议、提案、工单）。" in chinese.stdout and "命令:" in chinese.stdout
    assert "Register, list and show items" in english.stdout
    assert "Commands:" in english.stdout
    assert speak("zh_CN", "item", "show", "--help").stdout != speak("en", "item", "show", "--help").stdout


def test_chinese_is_the_default_and_an_english_locale_is_followed(tmp_path):
    environ = {key: value for key, value in os.environ.items() if key not in ("BANLI_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    run = [sys.executable, "-m", "banli", "--db", f"sqlite:///{tmp_path / 'none.db'}", "item", "list"]
    plain = subprocess.run(run, env={**environ, "LANG": "C.UTF-8"}, capture_output=True, text=True)
    english = subprocess.run(run, env={**environ, "LANG": "en_US.UTF-8"}, capture_output=True, text=True)
    assert plain.returncode == english.returncode == 9
    assert plain.stderr.startswith("banli: 数据库") or "数据库" in plain.stderr, plain.stderr
    assert english.stderr.startswith("banli: no database at "), english.stderr


def _commands(command: click.Command, path: str):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _commands(command.get_command(ctx, name), f"{path} {name}")


def test_every_help_text_has_its_translation():
    """A help text made at run time (not a literal the extraction sees) is caught here."""
    from banli.cli import cli
    from banli.cli.localized import localized

    translated = {message.id if isinstance(message.id, str) else message.id[0]
                  for message in build.read(i18n.CHINESE) if message.id and message.string}
    missing = []
    with i18n.use(i18n.ENGLISH):
        for path, command in _commands(localized(cli), "banli"):
            texts = [command.help] + [getattr(param, "help", None) for param in command.params]
            missing += [f"{path}: {text[:60]!r}" for text in texts if text and text not in translated]
    assert len(list(_commands(cli, "banli"))) > 30
    assert missing == []


def test_a_notification_in_each_language(banli, tmp_path, monkeypatch):
    """A notification is made in the language of the process that fires the event."""
    from tests.cli.conftest import TO_HANDLING, walk

    monkeypatch.chdir(tmp_path)  # the log channel writes banli-notifications.log here
    for ref, language in (("16-1-001", "zh_CN"), ("16-1-002", "en")):
        added = banli("item", "add", "--workflow", "npc-suggestion", "--ref", ref, "--title", "关于加强物业管理的建议",
                      "--deputy", "张三", "--field", "category=城市建设", "--at", "2026-01-10T09:00", user="reg")
        assert added.exit_code == 0, added.stderr
        with i18n.use(language):
            walk(banli, ref, TO_HANDLING)
    assert banli("notify", "deliver").exit_code == 0
    lines = [json.loads(line) for line in (tmp_path / "banli-notifications.log").read_text(encoding="utf-8").splitlines()]
    chinese = next(line for line in lines if line["ref"] == "16-1-001")
    english = next(line for line in lines if line["ref"] == "16-1-002")
    assert chinese["subject"].startswith("【交办】16-1-001") and chinese["body"].endswith("—— banli 办理系统")
    assert english["subject"].startswith("[交办] 16-1-002") and english["body"].endswith("— banli workflow system")


def test_a_definitions_own_names_follow_the_language_where_it_gives_both(speak):
    """unit-task's title is {zh: 协办任务, en: Co-handling task}; a name given once is shown as given."""
    assert speak("zh_CN", "workflow", "show", "unit-task").stdout.startswith("unit-task v1: 协办任务  (")
    assert speak("en", "workflow", "show", "unit-task").stdout.startswith("unit-task v1: Co-handling task  (")
