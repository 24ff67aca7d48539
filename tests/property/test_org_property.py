"""Organisation files, mutated from tests/data/org.yaml or built from odd parts: `org load`
loads them or names each problem (FILE:LINE…, or one line), and a refusal changes nothing."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.property.conftest import ORG, budget, databases_fixture, refusal_changes_nothing
from tests.property.strategies import file_text, mutations, odd_text, yaml_values

databases = databases_fixture()
ROLES = ["registrar", "reviewer", "supervisor", "unit", "deputy", "npc_office", "auditor", "admin", "system", "nobody"]


@st.composite
def _mutated(draw) -> str:
    tree = draw(mutations(yaml.safe_load(ORG.read_text(encoding="utf-8"))))
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)


ids = st.one_of(st.sampled_from(["zjj", "czj", "wang", "li", "system", "", " ", "x" * 65, "x" * 300, "张三", "a b",
                                 "UPPER", "-", "1"]), file_text)
units = st.fixed_dictionaries({"id": ids, "name": file_text},
                              optional={"government": st.one_of(st.booleans(), yaml_values)})
people = st.fixed_dictionaries(
    {"id": ids, "name": file_text},
    optional={"roles": st.lists(st.one_of(st.sampled_from(ROLES), file_text), max_size=3),
              "unit": ids, "deputy": st.one_of(st.sampled_from(["张三", "王五", "nobody"]), file_text),
              "email": st.one_of(st.sampled_from(["a@example.org", "bad", "a@", "@b", "a b@c.d", "a@b@c"]), file_text)})
built = st.fixed_dictionaries(
    {}, optional={"units": st.lists(units, max_size=4), "people": st.lists(people, max_size=4),
                  "deputies": st.lists(st.one_of(st.sampled_from(["张三", "李四", "王五"]), file_text), max_size=4),
                  "extra": yaml_values}
).map(lambda tree: yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))

SPLICES = ["units: []\n", "people: []\n", "? [a]\n: b\n", "x: &a [1]\ny: *a\n", "deputies: *a\n", "\t\n", "units:\n",
           "people:\n  - {id: wang, name: 又一个王明, roles: [supervisor]}\n", "  - {id: zjj, name: 重复, government: true}\n"]


@st.composite
def spliced(draw) -> str:
    lines = ORG.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(SPLICES)))
    return "".join(lines)


@budget(80)
@given(source=st.one_of(_mutated(), built, spliced(), odd_text))
def test_org_load_loads_or_names_each_problem(databases, tmp_path_factory, source):
    path = tmp_path_factory.getbasetemp() / "org.yaml"
    path.write_text(source, encoding="utf-8", errors="surrogatepass")
    refusal_changes_nothing(databases.fresh(), "org", "load", str(path), allowed={0, 3}, listing=True)
