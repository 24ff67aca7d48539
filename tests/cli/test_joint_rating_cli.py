"""A joint suggestion's ratings from the command line (issue 15, points 6 and 10): a co-signer
rates and the item waits for the first signer; a second rating by the same deputy, and a
lapse before the time to rate is out, are refused in one line."""

from __future__ import annotations

from tests.cli.conftest import TO_HANDLING, walk

STEPS = [*TO_HANDLING[:4], ("wang", "assign", {"lead_unit": "zjj", "mode": "单独办理"}, "2026-02-01T09:00"),
         ("li", "sign_for", {"leader": "王局长", "handler": "李科长"}, "2026-02-02T09:00"),
         ("li", "reply", {"result_class": "A", "text": "张三、李四代表：您好！所提问题已解决。", "signer": "王局长",
                          "contact_person": "李科长"}, "2026-03-02T09:00"),
         ("wang", "accept_reply", {}, "2026-03-03T09:00")]


def test_a_co_signer_rates_then_the_first_signers_rating_closes_it(banli, suggestion):
    walk(banli, suggestion, STEPS)
    co_signer = banli("fire", suggestion, "rate", "--data", "rating=基本满意", "--at", "2026-03-04T09:00", user="lisi")
    assert co_signer.exit_code == 0, co_signer.stderr
    assert banli("item", "show", suggestion, "--json").json()["state"] == "awaiting_feedback"

    again = banli("fire", suggestion, "rate", "--data", "rating=不满意", "--at", "2026-03-04T10:00", user="lisi")
    assert again.exit_code == 3 and again.stderr.count("\n") == 1
    assert "李四 has already rated this reply (基本满意)" in again.stderr
    early = banli("fire", suggestion, "rating_lapsed", "--at", "2026-03-05T09:00", user="wang")
    assert early.exit_code == 5 and early.stderr.count("\n") == 1
    assert "its deputies may rate until the end of 2026-03-31" in early.stderr

    first = banli("fire", suggestion, "rate", "--data", "rating=满意", "--at", "2026-03-06T09:00", user="zhang")
    assert first.exit_code == 0, first.stderr
    shown = banli("item", "show", suggestion, "--json").json()
    assert shown["state"] == "closed" and shown["fields"]["rating"] == "满意"
