"""The one column vocabulary of banli's spreadsheets: each column's key, its Chinese header,
the other names an import file may give it, and whether an import reads it and the ledger writes
it; and how a text cell is spelled so that no spreadsheet takes it for a formula."""

from __future__ import annotations

import re
from dataclasses import dataclass

# OWASP's rule against CSV injection: a cell starting with one of these may be run as a formula
# (=, + and - start one, @ calls a function; some spreadsheets drop a leading tab or CR and then
# read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"  # the prefix that makes such a cell text: Excel's own, and OWASP's advice

# Notes county staff add to a header: （必填）, (选填), a star for a required column.
_HEADER_NOTE = re.compile(r"[(（]\s*(必填|选填|可选|必选)\s*[)）]|[*＊]")
_SEPARATORS = re.compile(r"[\s_\-]+")


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column. `key` is how code knows it (an item's attribute, a workflow field, a ledger
    figure); `header` is what the ledger writes and an error names; `aliases` are the other
    names an import file may use for it."""

    key: str
    header: str
    aliases: tuple[str, ...] = ()
    imported: bool = False  # read by `banli item import` from a column of its own
    in_ledger: bool = False  # a column of npc-suggestion's 台账 (in the order of COLUMNS; its `ledger:` gives them)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


# An import finds a workflow's fields by the labels of its definition (类别 for category),
# so the ledger's field columns below are not `imported`: their key is the field's name.
COLUMNS: tuple[Column, ...] = (
    Column(key="ref", header="编号", aliases=("建议编号", "案号"), imported=True, in_ledger=True),
    Column(key="title", header="标题", aliases=("建议标题", "案由", "题目"), imported=True, in_ledger=True),
    Column(key="deputies", header="代表", aliases=("领衔代表", "提出代表", "代表姓名", "deputy"), imported=True,
           in_ledger=True),
    Column(key="content", header="内容", aliases=("建议内容", "正文"), imported=True),
    Column(key="submitted_on", header="提交日期", aliases=("提出日期", "提交时间", "提出时间"), imported=True),
    Column(key="category", header="类别", in_ledger=True),
    Column(key="lead_unit", header="主办单位", in_ledger=True),
    Column(key="co_units", header="协办单位", in_ledger=True),
    Column(key="leader", header="责任领导", in_ledger=True),
    Column(key="handler", header="具体责任人", in_ledger=True),
    Column(key="assigned_on", header="交办日期", in_ledger=True),
    Column(key="deadline", header="办理期限", in_ledger=True),
    Column(key="state", header="状态", in_ledger=True),
    Column(key="urges", header="催办次数", in_ledger=True),
    Column(key="contacts", header="联系次数(面商)", in_ledger=True),
    Column(key="replied_on", header="答复日期", in_ledger=True),
    Column(key="result_class", header="办理结果", in_ledger=True),
    Column(key="rating", header="代表评价", in_ledger=True),
    Column(key="promise", header="承诺事项", in_ledger=True),
    Column(key="promised_by", header="承诺时限", in_ledger=True),
    Column(key="promise_status", header="承诺落实", in_ledger=True),
    Column(key="key", header="重点建议", in_ledger=True),
    Column(key="lead_leader", header="分管县领导", in_ledger=True),
    Column(key="overdue_days", header="逾期天数", in_ledger=True),
)

# The ledger workbook's second sheet (单位汇总): per-unit totals, written only, never imported.
UNIT_HEADERS = ("主办单位", "承办件数", "已答复", "按期答复", "逾期", "催办次数", "面商件数", "满意", "基本满意", "不满意")


def neutral(text: str) -> str:
    """`text` as a CSV cell a spreadsheet never runs: prefixed with ' if it starts like a formula."""
    return QUOTE + text if text.startswith(FORMULA_STARTS) else text


def unquoted(text: str) -> str:
    """A cell as its author meant it: `neutral`'s prefix taken off again (in a file banli wrote,
    or any that follows OWASP's rule)."""
    return text[1:] if text[:1] == QUOTE and text[1:2] in FORMULA_STARTS else text


def normal(text: str) -> str:
    """A header as compared: notes like （必填） dropped, case, spaces, '_' and '-' ignored."""
    return _SEPARATORS.sub("", _HEADER_NOTE.sub("", text)).casefold()


class Vocabulary:
    """The columns as an import reads them and as the ledger writes them. A column is also
    known by its key (an English header such as `ref` or `submitted_on`)."""

    def __init__(self, columns: tuple[Column, ...]) -> None:
        self.columns = columns
        self.imported = {column.key: column.names for column in columns if column.imported}  # key → names
        self.ledger = tuple(column for column in columns if column.in_ledger)
        self._keys: dict[str, str] = {}
        for column in columns:
            for name in (column.key, *column.names):
                self._keys.setdefault(normal(name), column.key)
        self._refs = {normal(name) for name in ("ref", *self.imported["ref"])}

    @staticmethod
    def normal(text: str) -> str:
        return normal(text)

    def key(self, text: str) -> str | None:
        """The key of the column a header names, or None."""
        return self._keys.get(normal(text))

    def names_ref(self, cells: list[str]) -> bool:
        """Whether a row names the ref column: the header row is the first that does."""
        return any(normal(cell) in self._refs for cell in cells)


VOCABULARY = Vocabulary(COLUMNS)
# The headers of the built-in npc-suggestion's 台账, as the `ledger:` of its definition gives them
# (a test holds the two together); another workflow's ledger has the columns of its own definition.
LEDGER_HEADERS = tuple(column.header for column in VOCABULARY.ledger)
