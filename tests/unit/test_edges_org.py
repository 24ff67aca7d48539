"""The organisation file's rules without a database: e-mail addresses, ids and names, the
checks of a file as a whole when an `OrgFile` is built in code, and YAML read as the file says."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from banli.engine.org import OrgFile, email_problem, read_org
from banli.errors import DefinitionErrors


@pytest.mark.parametrize("address", [
    "li@zjj.xiping.gov.cn", "wang.ming+banli@xiping.gov.cn", '"wang ming"@xiping.gov.cn', "li@[10.0.0.1]",
], ids=["plain", "plus", "quoted", "address-literal"])
def test_a_plain_address_is_an_email(address):
    assert email_problem(address) is None


@pytest.mark.parametrize("address, says", [
    ("lihua", "is not an e-mail address"),
    ("li@", "is not an e-mail address"),
    ("@xiping.gov.cn", "is not an e-mail address"),
    ("李华 <li@xiping.gov.cn>", "is not an e-mail address"),
    ("li@xiping.gov.cn, wang@xiping.gov.cn", "is not an e-mail address"),
    (" li@xiping.gov.cn", "is not one plain e-mail address"),
    ("li(work)@xiping.gov.cn", "is not one plain e-mail address"),
    ("li@xiping", "has no valid domain"),
    ("li@-xiping.gov.cn", "has no valid domain"),
    ("li@xiping..gov.cn", "is not an e-mail address"),
    ("li@xiping.gov.cn\r\nBcc: all@xiping.gov.cn", "is not an e-mail address"),
    ("李华@xiping.gov.cn", "is not an e-mail address"),
    ("l" * 250 + "@x.cn", "at most 254"),
], ids=["no-at", "no-domain", "no-local-part", "display-name", "two", "space", "comment", "no-dot", "hyphen",
        "empty-label", "header-injection", "non-ascii-local-part", "too-long"])
def test_anything_else_is_refused_saying_why(address, says):
    problem = email_problem(address)

    assert problem is not None and says in problem


@pytest.mark.parametrize("org, says", [
    ({"units": [{"id": "zjj", "name": "县住建局"}, {"id": "zjj", "name": "县住建局"}]}, "units[1].id: the unit id 'zjj' is listed twice"),
    ({"people": [{"id": "wang", "name": "王明"}, {"id": "wang", "name": "王明"}]}, "people[1].id: the person id 'wang' is listed twice"),
    ({"people": [{"id": "system", "name": "系统"}]}, "the id 'system' is reserved"),
    ({"people": [{"id": "wang", "name": "王\ud800明"}]}, "U+D800, which is not a character"),
    ({"deputies": ["\ud800"]}, "U+D800, which is not a character"),
    ({"units": [{"id": "zjj ", "name": "县住建局"}]}, "begins or ends with a space"),
])
def test_an_org_built_in_code_is_held_to_the_same_rules(org, says):
    with pytest.raises(ValidationError, match=re.escape(says)):
        OrgFile(**org)


def test_yes_no_on_off_are_text_and_true_false_booleans(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text("units:\n  - {id: no, name: on, government: false}\ndeputies: [yes, off]\n", encoding="utf-8")

    org = read_org(path)

    assert (org.units[0].id, org.units[0].name, org.units[0].government) == ("no", "on", False)
    assert org.deputies == ["yes", "off"]


def test_a_byte_order_mark_is_no_problem_and_positions_count_from_after_it(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_bytes("\ufeffcolour: red\nunits:\n  - {id: zjj, name: 县住建局}\n".encode("utf-8"))

    with pytest.raises(DefinitionErrors) as raised:
        read_org(path)

    assert [(p.line, p.column) for p in raised.value.problems] == [(1, 1)]


def test_a_persons_unit_is_not_judged_while_a_unit_cannot_be_read(tmp_path):
    path = tmp_path / "org.yaml"
    path.write_text("people:\n  - {id: li, name: 李华, roles: [unit], unit: nope}\n"
                    "units:\n  - {id: zjj, name: ''}\n", encoding="utf-8")

    with pytest.raises(DefinitionErrors) as raised:
        read_org(path)

    assert [p.render().split(": ", 1)[1] for p in raised.value.problems] == [
        "units[0].name: the name is empty; write the name, such as 县住建局 or 张三"]


# -- any file at all: an OrgFile or positioned problems, never another exception ----------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.sampled_from(["zjj", "system", "", " ", "unit", "deputy", "supervisor", "李华", "a,b",
                                      "li@zjj.gov.cn", "li@", "张三", "x" * 65, "\u0007"]),
                     st.text(max_size=8))
_KEYS = st.sampled_from(["units", "people", "deputies", "issuer", "id", "name", "roles", "unit", "deputy",
                         "email", "government", "short", "colour"])
_VALUES = st.recursive(_SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=5)), max_leaves=20)
_TEXT = st.text(alphabet=st.sampled_from(list("units:people-{}[],&*!?#|>'\"\n \t\\%@0aé张\x00\x85\ufeff")), max_size=80)


def _read_anything(tmp_path, data: bytes):
    path = tmp_path / "org.yaml"
    path.write_bytes(data)
    try:
        return read_org(path)
    except DefinitionErrors as exc:
        assert exc.problems and all(problem.line >= 1 and problem.column >= 1 for problem in exc.problems)
        assert all("\n" not in problem.render() for problem in exc.problems)
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(_KEYS, _VALUES, max_size=5))
def test_any_yaml_mapping_reads_or_is_refused_with_positions(tmp_path, document):
    _read_anything(tmp_path, yaml.safe_dump(document, allow_unicode=True).encode("utf-8"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT)
def test_any_text_reads_or_is_refused_with_positions(tmp_path, text):
    _read_anything(tmp_path, text.encode("utf-8", errors="surrogatepass"))
