"""End to end: an overdue item's reminder, written by the sweep, arrives by e-mail at a real
SMTP server with the item's ref and deadline in Chinese — once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from banli.engine.sweep import sweep
from banli.i18n import use
from banli.notify import deliver
from tests.integration.test_notify import config, emails, smtp_server  # noqa: F401 - fixtures
from tests.unit.steps import assigned_on

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_overdue_reminder_arrives_by_email(store, runtime, clock, emails, smtp_server, config):  # noqa: F811
    clock.now = datetime(2026, 9, 1, 12, tzinfo=SHANGHAI)
    assigned_on(runtime, "16-1-500", "2026-03-02")  # reply due by the end of 2 June 2026
    with use("zh_CN"):  # the reminder in Chinese
        report = sweep(runtime, datetime(2026, 6, 3, 8, tzinfo=SHANGHAI))
    # overdue: 李华 of the lead unit and the supervisor 王明 (no "due soon": the deadline has passed)
    assert report.notifications == 2 and report.skipped == 1
    settings = config('channels = ["email"]', "[notify.email]", 'host = "127.0.0.1"',
                      f"port = {smtp_server.port}", 'sender = "banli@xiping.gov.cn"')
    counts = deliver(store, settings, clock.now)
    assert counts["sent"] == 3  # the two overdue notices, and the assignment's notice to the lead unit
    subjects = sorted((to[0], message["Subject"]) for to, message in smtp_server.received
                      if message["Subject"].startswith("【已逾期】"))
    assert subjects == [("lihua@zjj.xiping.gov.cn", "【已逾期】16-1-500 关于城区道路积水治理的建议"),
                        ("wang@xiping.gov.cn", "【已逾期】16-1-500 关于城区道路积水治理的建议")]
    message = next(m for to, m in smtp_server.received if m["Subject"].startswith("【已逾期】") and "lihua" in to[0])
    body = message.get_content()
    assert "16-1-500" in body and "办理期限：2026年6月2日" in body and "已超过办理期限" in body
    assert deliver(store, settings, clock.now)["sent"] == 0
    assert sweep(runtime, datetime(2026, 6, 3, 8, tzinfo=SHANGHAI)).notifications == 0
    assert len(smtp_server.received) == 3  # nothing sent twice
