"""Every exit code of SPEC §4, each for the reason the spec gives, with one line on stderr."""

from __future__ import annotations

import pytest

from tests.cli.conftest import TO_HANDLING, walk

REPLY = {"result_class": "A", "text": "张三、李四代表：您好！关于物业管理……", "signer": "王局长", "contact_person": "李科长"}


def one_line_error(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_0_done_with_fire_json_shape(banli, suggestion):
    result = banli("fire", suggestion, "sort", "--data", "category=城市建设", "--json", user="reg")
    assert result.exit_code == 0
    body = result.json()
    assert {"ref", "event", "from", "to", "version", "seq", "hash"} <= set(body)
    assert (body["from"], body["to"], body["seq"], body["version"]) == ("registered", "sorted", 2, 2)


def test_2_usage_error_from_click(banli):
    result = banli("fire", "16-1-001")  # EVENT missing
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


@pytest.mark.parametrize("args, user, expected", [
    (["fire", "16-1-001", "fly"], "reg", "has no event 'fly'"),
    (["fire", "16-1-001", "sort"], "reg", "needs data 'category'"),
    (["fire", "16-1-001", "sort", "--data", "category=天文"], "reg", "must be one of"),
    (["fire", "16-1-001", "sort", "--data", "category=城市建设", "--at", "2099-01-01"], "reg", "in the future"),
    (["fire", "16-1-001", "sort", "--data", "category=城市建设", "--at", "2025-12-31"], "reg", "before 16-1-001's latest event"),
    (["fire", "16-1-001", "sort", "--data", "category=城市建设", "--at", "yesterday"], "reg", "not a date"),
    (["fire", "16-1-001", "sort", "--data", "colour=red", "--data", "category=城市建设"], "reg", "takes no data 'colour'"),
], ids=["unknown-event", "missing-data", "bad-choice", "future-at", "at-before-previous", "unparsable-at", "unknown-data-key"])
def test_3_invalid_input(banli, suggestion, args, user, expected):
    result = banli(*args, user=user)
    assert result.exit_code == 3
    assert expected in one_line_error(result)


def test_3_invalid_definition_lists_every_error_with_position(banli, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nstates:\n  a: {initial: true}\n  b: {}\nevents:\n  go: {from: a, to: c, roles: [nobody]}\n",
                      encoding="utf-8")
    result = banli("workflow", "validate", str(broken))
    assert result.exit_code == 3
    assert f"{broken}:6:" in result.stderr and "unknown state 'c'" in result.stderr
    assert "unknown role 'nobody'" in result.stderr
    assert f"{broken}:4:3: state 'b' is unreachable" in result.stderr


def test_3_bad_reply_salutation(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING)
    walk(banli, suggestion + "/czj", [("zhao", "sign_for", {"leader": "赵局长", "handler": "钱科长"}, "2026-02-03T09:00"),
                                      ("zhao", "submit_opinion", {"text": "同意"}, "2026-02-10T09:00")])
    result = banli("fire", suggestion, "reply", *[f"--data={k}={v}" for k, v in {**REPLY, "text": "张三代表：您好"}.items()],
                   user="li")
    assert result.exit_code == 3
    assert "does not name 李四" in one_line_error(result)


def test_4_not_permitted_without_the_role(banli, suggestion):
    result = banli("fire", suggestion, "sort", "--data", "category=城市建设", user="li")  # unit staff cannot sort
    assert result.exit_code == 4
    assert "needs the role supervisor or reviewer" in one_line_error(result)


def test_4_not_this_items_unit(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING[:5])  # assigned to 县住建局 (zjj)
    result = banli("fire", suggestion, "sign_for", "--data", "leader=孙局长", "--data", "handler=孙科长", user="sun")
    assert result.exit_code == 4, "县教育局 staff must not sign for 县住建局's item"
    assert "lead_unit" in one_line_error(result)
    assert banli("fire", suggestion, "sign_for", "--data", "leader=王局长", "--data", "handler=李科长",
                 user="li").exit_code == 0


def test_4_not_this_items_deputy(banli, suggestion):
    other = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-002", "--title", "关于乡村道路的建议",
                  "--deputy", "王五", "--field", "category=农业农村", user="reg")
    assert other.exit_code == 0
    assert banli("fire", "16-1-002", "withdraw", user="zhang").exit_code == 4  # 张三 is not its deputy
    assert banli("fire", suggestion, "withdraw", user="zhang").exit_code == 0  # but of 16-1-001


def test_4_unknown_user_and_no_user(banli, suggestion):
    assert "not in the organisation file" in one_line_error(banli("fire", suggestion, "sort", user="ghost"))
    result = banli("fire", suggestion, "sort")
    assert result.exit_code == 4
    assert "pass --as USER" in one_line_error(result)


def test_4_registering_needs_a_registering_role(banli):
    result = banli("item", "add", "--workflow", "npc-suggestion", "--ref", "16-1-009", "--title", "t",
                   "--field", "category=城市建设", user="li")
    assert result.exit_code == 4


def test_5_not_valid_in_this_state(banli, suggestion):
    result = banli("fire", suggestion, "approve", user="npc")
    assert result.exit_code == 5
    assert "not possible on 16-1-001 in state" in one_line_error(result)


def test_5_guard_failed_co_unit_opinion_missing(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING)
    result = banli("fire", suggestion, "reply", *[f"--data={k}={v}" for k, v in REPLY.items()], user="li")
    assert result.exit_code == 5
    assert "县财政局" in one_line_error(result)


def test_5_window_closed(banli, suggestion):
    walk(banli, suggestion, TO_HANDLING[:5])  # assigned 2026-02-01: change requests until 5 workdays later
    result = banli("fire", suggestion, "request_change", "--data", "reason=不属于本单位职责", user="li")
    assert result.exit_code == 5  # the test clock is the wall clock, months after the window closed
    assert "window is closed" in one_line_error(result)


def test_6_expect_version_mismatch(banli, suggestion):
    result = banli("fire", suggestion, "sort", "--data", "category=城市建设", "--expect-version", "7", user="reg")
    assert result.exit_code == 6
    assert "version 1, not 7" in one_line_error(result)
    ok = banli("fire", suggestion, "sort", "--data", "category=城市建设", "--expect-version", "1", "--json", user="reg")
    assert ok.exit_code == 0 and ok.json()["version"] == 2


@pytest.mark.parametrize("args", [
    ["fire", "16-9-999", "sort"], ["item", "show", "16-9-999"], ["audit", "log", "16-9-999"],
    ["workflow", "show", "no-such-flow"], ["can", "16-9-999"],
], ids=["fire", "item-show", "audit-log", "workflow-show", "can"])
def test_7_not_found(banli, args):
    result = banli(*args, user="reg")
    assert result.exit_code == 7
    one_line_error(result)


def test_8_audit_verification_failed(banli, suggestion, db_url):
    walk(banli, suggestion, TO_HANDLING[:2])
    assert banli("audit", "verify").exit_code == 0
    from tests.integration.tamper import tamper

    tamper(db_url, "UPDATE trace SET actor = 'wang' WHERE ref = '16-1-001' AND seq = 2")
    result = banli("audit", "verify", "--json")
    assert result.exit_code == 8
    assert result.json()["failures"][0] == {"ref": "16-1-001", "seq": 2,
                                             "reason": "row changed: its hash does not match its content"}
