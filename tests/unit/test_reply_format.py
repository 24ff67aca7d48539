"""The reply checks of `reply_format` (issue 15, point 12): the salutation names every deputy
with their title, a signer, and if the definition asks, a contact person and a minimum length."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from banli.engine.builtins import reply_format

TEXT = "张三、李四代表：您好！您提出的关于加强物业管理的建议收悉，现答复如下。一、加快立法。二、加强监管。"


def check(data: dict, **params) -> str | None:
    ctx = SimpleNamespace(data=data, deputies=lambda: ["张三", "李四"])
    return reply_format(ctx, **params)


def test_a_reply_that_meets_every_check_passes():
    assert check({"text": TEXT, "signer": "王局长", "contact_person": "李科长 0371-1234"},
                 contact="contact_person", min_length=20) is None


@pytest.mark.parametrize("data, params, says", [
    ({"text": "张三代表：您好", "signer": "王"}, {}, "does not name 李四"),
    ({"text": "张三委员：您好", "signer": "王"}, {"title": "委员"}, "'张三、李四委员：'"),
    ({"text": TEXT}, {}, "no signing leader"),
    ({"text": TEXT, "signer": "王局长"}, {"contact": "contact_person"}, "--data contact_person=NAME"),
    ({"text": TEXT, "signer": "王局长", "contact_person": "  "}, {"contact": "contact_person"}, "no contact person"),
    ({"text": "张三、李四代表：已办。", "signer": "王局长"}, {"min_length": 50}, "at least 50"),
], ids=["a-deputy-missing", "member-title", "no-signer", "no-contact", "blank-contact", "too-short"])
def test_a_reply_that_misses_a_check_says_which(data, params, says):
    assert says in (check(data, **params) or "")
