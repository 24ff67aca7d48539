"""B-class promises from the command line: a B reply without its promise is refused in one
line (exit 3); once rated, the item follows its promise, and `banli report annual --json`
counts it as late once the promised day has passed."""

from __future__ import annotations

from tests.cli.conftest import TO_HANDLING, walk

STEPS = [("reg", "sort", {"category": "城市建设", "session": "16-1"}, "2026-01-20T09:00"), *TO_HANDLING[1:4],
         ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, "2026-02-01T09:00"),
         ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-02-02T09:00")]
REPLY = ["--data", "result_class=B", "--data", "signer=王局长", "--data", "contact_person=李科长",
         "--data", "text=张三、李四代表：您好！该事项已列入今年工作计划，预计6月底前完成管网改造。"]


def test_a_b_reply_states_its_promise_and_the_report_follows_it(banli, suggestion):
    walk(banli, suggestion, STEPS)
    refused = banli("fire", suggestion, "reply", "--at", "2026-03-02T09:00", *REPLY, user="li")
    assert refused.exit_code == 3 and refused.stderr.count("\n") == 1
    assert "B-class reply records the promise" in refused.stderr and "--data promise=…" in refused.stderr
    replied = banli("fire", suggestion, "reply", "--at", "2026-03-02T09:00", *REPLY, "--data", "promise=完成管网改造",
                    "--data", "promised_by=2026-06-30", user="li")
    assert replied.exit_code == 0, replied.stderr
    walk(banli, suggestion, [("wang", "accept_reply", {}, "2026-03-03T09:00"),
                             ("zhang", "rate", {"rating": "满意"}, "2026-03-04T09:00")])
    shown = banli("item", "show", suggestion, "--json")
    assert shown.json()["state"] == "fulfilling" and shown.json()["deadline"].startswith("2026-07-01T00:00")
    report = banli("report", "annual", "--session", "16-1", "--as-of", "2026-08-01T09:00", "--json", user="wang")
    assert report.exit_code == 0, report.stderr
    assert report.json()["promises"] == {"made": 1, "kept": 0, "kept_late": 0, "due": 0, "late": 1,
                                         "kept_on_time_rate": 0.0}
