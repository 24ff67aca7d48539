"""Every refusal is one line on stderr, even when it quotes input holding line breaks or other
control characters: those are shown escaped."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("ref", ["16-1\n-001", "16-1-001\r\nX", "a\x1b[31mred", "a\u2028b", "\n"],
                         ids=["newline", "crlf", "escape", "line-separator", "only-newline"])
def test_a_quoted_ref_keeps_the_error_on_one_line(banli, ref):
    result = banli("item", "show", ref)
    assert result.exit_code == 7, result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.endswith("\n"), repr(result.stderr)
    assert "\x1b" not in result.stderr and "\u2028" not in result.stderr


def test_the_escape_shows_what_was_typed(banli):
    result = banli("fire", "x\ny", "sort", user="reg")
    assert result.exit_code == 7 and "x\\x0ay" in result.stderr, result.stderr
