"""会办 and 分办 on the command line (issue 15, point 9): a 会办 reply before the co-units'
opinions, and a 分办 part's reply that does not name the deputies, are refused in one line."""

from __future__ import annotations

from tests.cli.conftest import TO_HANDLING, walk

REPLY = ["--data", "result_class=A", "--data", "signer=王局长", "--data", "contact_person=李科长"]


def _one_line(result, code: int) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == code and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_joint_reply_waits_for_the_co_units_opinion_then_carries_it(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING)  # 会办: 县住建局 leads, 县财政局 gives its opinion
    early = banli("fire", suggestion, "reply", "--data", "text=张三、李四代表：现答复如下。", *REPLY,
                  "--at", "2026-02-10T09:00", user="li")
    assert "waiting for 县财政局 (co-units) to submit their opinions" in _one_line(early, 5)
    walk(banli, f"{suggestion}/czj", [("zhao", "sign_for", {"leader": "赵局长", "handler": "赵科长"}, "2026-02-03T09:00"),
                                      ("zhao", "submit_opinion", {"text": "资金由财政统筹。"}, "2026-02-05T09:00")])
    replied = banli("fire", suggestion, "reply", "--data", "text=张三、李四代表：现答复如下。", *REPLY,
                    "--at", "2026-02-10T09:00", user="li")
    assert replied.exit_code == 0, replied.stderr
    trace = banli("audit", "log", suggestion, "--json").json()
    assert trace[-1]["data"]["co_opinions"] == "县财政局：资金由财政统筹。"


def test_a_split_part_is_answered_by_its_unit_in_the_reply_format(banli, suggestion):
    split = [step if step[1] != "assign" else ("wang", "assign", {"lead_unit": "zjj", "co_units": "czj", "mode": "分办"},
                                               step[3]) for step in TO_HANDLING]
    walk(banli, suggestion, split)
    part = f"{suggestion}/czj"
    shown = banli("item", "show", part, "--json").json()
    assert (shown["workflow"], shown["state"]) == ("unit-part", "assigned")
    walk(banli, part, [("zhao", "sign_for", {"leader": "赵局长", "handler": "赵科长"}, "2026-02-03T09:00")])
    wrong = banli("fire", part, "reply", "--data", "text=张三代表：现答复如下。", *REPLY, "--at", "2026-02-10T09:00",
                  user="zhao")
    assert "does not name 李四" in _one_line(wrong, 3)
    walk(banli, part, [("zhao", "reply", {"text": "张三、李四代表：现答复如下。", "result_class": "A", "signer": "赵局长",
                                          "contact_person": "赵科长"}, "2026-02-10T09:00"),
                       ("zhang", "rate", {"rating": "满意"}, "2026-02-12T09:00")])
    assert banli("item", "show", part, "--json").json()["state"] == "closed"
