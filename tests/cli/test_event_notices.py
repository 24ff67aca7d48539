"""Event notices end to end: firing npc-suggestion's events writes their notifications to the
outbox, `banli notify deliver` sends them (here through the log channel), and a refused event
writes none."""

from __future__ import annotations

from banli.i18n import use
from tests.cli.conftest import TO_HANDLING, walk


def test_event_notices_are_delivered_once(banli, suggestion, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the log channel writes banli-notifications.log here
    refused = banli("fire", suggestion, "assign", "--data", "lead_unit=zjj", "--data", "mode=单独办理",
                    "--at", "2026-01-20T09:00", user="wang")
    assert refused.exit_code == 5, refused.stderr  # not filed yet: nothing written
    with use("zh_CN"):  # the notifications are made in Chinese, as a county's are
        walk(banli, suggestion, TO_HANDLING)  # assigned to 县住建局 (li) with 县财政局 (zhao)
    listed = banli("notify", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert sorted(row["recipient"] for row in listed.json()) == ["li", "zhao"]
    first = banli("notify", "deliver", "--json")
    assert first.exit_code == 0, first.stderr
    again = banli("notify", "deliver", "--json")
    assert again.exit_code == 0, again.stderr
    text = (tmp_path / "banli-notifications.log").read_text(encoding="utf-8")
    assert text.count("【交办】16-1-001 关于加强物业管理的建议") == 2  # li and zhao, each once
    assert "办理方式：会办；主办单位：县住建局；协办单位：县财政局" in text
