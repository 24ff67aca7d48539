"""Whose rating counts on a joint suggestion (banli/engine/ratings.py): the first signer's,
the lowest once all have rated, or each (the item taking the lowest); the choices run from
the best to the worst."""

from __future__ import annotations

import pytest

from banli.engine.ratings import decide, worst

CHOICES = ("满意", "基本满意", "不满意")
DEPUTIES = ["张三", "李四", "王五"]


@pytest.mark.parametrize("counts, ratings, counted", [
    ("first_signer", {"李四": "不满意"}, None),
    ("first_signer", {"李四": "不满意", "张三": "满意"}, "满意"),
    ("lowest", {"张三": "满意", "李四": "基本满意"}, None),
    ("lowest", {"张三": "满意", "李四": "基本满意", "王五": "满意"}, "基本满意"),
    ("each", {"张三": "满意", "李四": "不满意", "王五": "基本满意"}, "不满意"),
], ids=["co-signer-first", "first-signer", "lowest-waits", "lowest", "each-takes-lowest"])
def test_the_rating_that_counts(counts, ratings, counted):
    assert decide(counts, DEPUTIES, ratings, CHOICES) == counted


def test_the_worst_is_the_latest_choice():
    assert worst(["满意", "不满意", "基本满意"], CHOICES) == "不满意"
    assert worst(["满意", "基本满意"], CHOICES) == "基本满意"
