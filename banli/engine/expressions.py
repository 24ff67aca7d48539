"""Conditions written as text (`when: "rating == 'unsatisfied' and count('rate') >= 2"`): a
small language, type-checked against the definition when it is parsed and compiled once into
closures, so that judging one costs a few calls and never a parse.

The text is read by Python's `ast` parser and only a whitelist of node kinds is accepted:
comparisons (== != < <= > >= in, not in), and / or / not, parentheses, literals (text,
numbers, true/false/null, lists of them) and three functions: has(field), count('event'),
len(x). Nothing is ever given to eval or exec; there is no attribute access, indexing,
arithmetic or call of anything else, so an expression can neither reach Python objects nor
run long. A name is a field (or an event-only data key where one is in scope).

An unset field (null) equals only null, is in no list, and is neither less nor more than
anything, so `urge_count > 3` is false, not an error, on an item never urged.
"""

from __future__ import annotations

import ast
import operator
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Mapping

from banli.engine.kinds import BOOL, DATE, NULL, NUMBER, TEXT, Kind, kind_of_field  # noqa: F401 (tests read them here)
from banli.engine.limits import text_problem
from banli.i18n import N_, _

MAX_LENGTH = 500  # characters: a condition is one line of a definition, not a program
MAX_DEPTH = 24  # nested parts (parentheses, and/or, not, calls)
MAX_LIST = 100  # elements of a list literal
FUNCTIONS = ("has", "count", "len")
_LITERAL_NAMES = {"true": True, "false": False, "null": None}
_HINT = N_("use ==, !=, <, <=, >, >=, in, not in, and, or, not, has(field), count('event') or len(x)")

Names = Mapping[str, object]
Count = Callable[[str], int]
_Test = Callable[[Names, Count | None], object]


class ExpressionError(ValueError):
    """An expression that cannot be used; the message says what is wrong and what to write."""


@dataclass(frozen=True, eq=False)
class Expression:
    """A compiled condition. Equal (and hashed) by its text; `holds` judges it."""

    source: str
    uses_count: bool = False
    _test: _Test = field(default=None, repr=False)

    def holds(self, names: Names, count: Count | None = None) -> bool:
        """Whether the condition is true for these names (fields, data); `count(event)` answers
        count() and is needed only if `uses_count`."""
        return self._test(names, count) is True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash(self.source)

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __iter__(self):
        """As a mapping-style `when` lists itself, (name, values) pairs: one pair, the text, so
        that code listing conditions shows an expression rather than failing on it."""
        yield "expression", (self.source,)


def matches(when: tuple | Expression, fields: Names, count: Count | None = None) -> bool:
    """True when every key of a mapping-style `when` matches the fields (a list means "one
    of", null means unset), or when an expression holds for them (`count` answers count())."""
    if isinstance(when, Expression):
        return when.holds(fields, count)
    return all(fields.get(name) in values for name, values in when)


def compile_expression(source: object, names: Mapping[str, Kind], events: frozenset[str] | set[str],
                       *, no_count: str | None = None) -> Expression:
    """Check `source` against `names` (name → kind) and the definition's `events`; raises
    `ExpressionError`. With `no_count` (the reason), count() is refused."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError(_("a condition is text, e.g. \"rating == 'unsatisfied'\""))
    if len(source) > MAX_LENGTH:
        raise _refusal(_("the condition is {length} characters long; at most {limit}"), length=len(source),
                       limit=MAX_LENGTH)
    problem = text_problem(source, multiline=True)
    if problem:
        raise _refusal(_("the condition {problem}"), problem=problem)
    text = source.strip().replace("\n", " ").replace("\r", " ")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        column = exc.offset if isinstance(exc, SyntaxError) else None
        message = _("'{text}' is not a condition at column {column}; {hint}") if column else \
            _("'{text}' is not a condition; {hint}")
        raise _refusal(message, text=text[:60], column=column, hint=_(_HINT)) from None
    checker = _Checker(names, frozenset(events), no_count)
    kind, test = checker.visit(tree.body, 0)
    if kind != BOOL:
        raise _refusal(_("the condition is {kind}, not true or false; compare it, e.g. \"{text} == …\", or ask "
                         "has({text})"), kind=kind, text=text[:30])
    return Expression(source=text, uses_count=checker.uses_count, _test=test)


# -- checking and compiling, one node at a time -----------------------------------------------

def _part(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)[:40]
        return _("{part} (column {column})").format(part=text if isinstance(node, ast.Constant) else repr(text),
                                                    column=node.col_offset + 1)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return _("a part")


def _refusal(message: str, **facts: object) -> ExpressionError:
    """The error saying `message` (translated) with its facts, a part of the tree shown as `_part` shows it."""
    return ExpressionError(message.format(**{name: _part(fact) if isinstance(fact, ast.AST) else fact
                                             for name, fact in facts.items()}))


_ORDER = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}
_SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
           ast.In: "in", ast.NotIn: "not in"}


class _Checker:
    """Walks the tree once: the kind of each part and a closure computing its value."""

    def __init__(self, names: Mapping[str, Kind], events: frozenset[str], no_count: str | None) -> None:
        self.names, self.events, self.no_count = names, events, no_count
        self.uses_count = False

    def visit(self, node: ast.AST, depth: int) -> tuple[Kind, _Test]:
        if depth > MAX_DEPTH:
            raise _refusal(_("the condition is nested more than {limit} deep; write it more simply"), limit=MAX_DEPTH)
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise _refusal(_("{part} is not part of the condition language; {hint}"), part=node, hint=_(_HINT))
        return method(node, depth + 1)

    def _Constant(self, node: ast.Constant, _depth: int) -> tuple[Kind, _Test]:
        value = node.value
        if value is None:
            return NULL, lambda names, count: None
        if isinstance(value, bool):
            return BOOL, lambda names, count: value
        if isinstance(value, (int, float)):
            return NUMBER, lambda names, count: value
        if isinstance(value, str):
            return TEXT, lambda names, count: value
        raise _refusal(_("{part} is not a value a condition knows (text, a number, true, false, null)"), part=node)

    def _Name(self, node: ast.Name, _depth: int) -> tuple[Kind, _Test]:
        name = node.id
        if name in _LITERAL_NAMES:
            value = _LITERAL_NAMES[name]
            return (NULL if value is None else BOOL), lambda names, count: value
        kind = self.names.get(name)
        if kind is None:
            known = ", ".join(sorted(self.names)) or _("none")
            raise _refusal(_("unknown field '{field}' (column {column}); names here: {names}"),
                           field=name[:40], column=node.col_offset + 1, names=known[:200])
        return kind, lambda names, count: names.get(name)

    def _List(self, node: ast.List | ast.Tuple, depth: int) -> tuple[Kind, _Test]:
        if len(node.elts) > MAX_LIST:
            raise _refusal(_("{part} lists {count} values; a list has at most {limit}"), part=node,
                           count=len(node.elts), limit=MAX_LIST)
        values, kinds = [], set()
        for element in node.elts:
            if not _literal(element):
                raise _refusal(_("{part}: a list holds values (text, numbers, true, false, null)"), part=element)
            kind, test = self.visit(element, depth)
            values.append(test(None, None))
            if kind != NULL:
                kinds.add(kind.name)
        if len(kinds) > 1:
            raise _refusal(_("{part} mixes {kinds}; a list holds one kind of value"), part=node,
                           kinds=" and ".join(sorted(kinds)))
        held = tuple(values)
        return Kind("list", element=kinds.pop() if kinds else None), lambda names, count: held

    _Tuple = _List

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> tuple[Kind, _Test]:
        kind, test = self.visit(node.operand, depth)
        if isinstance(node.op, ast.Not):
            self._need(BOOL, kind, node.operand, "'not'")
            return BOOL, lambda names, count: not test(names, count)
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(node.operand, ast.Constant) and kind == NUMBER:
            value = -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
            return NUMBER, lambda names, count: value
        raise _refusal(_("{part} is not part of the condition language; {hint}"), part=node, hint=_(_HINT))

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> tuple[Kind, _Test]:
        word = "and" if isinstance(node.op, ast.And) else "or"
        tests = []
        for value in node.values:
            kind, test = self.visit(value, depth)
            self._need(BOOL, kind, value, f"'{word}'")
            tests.append(test)
        if word == "and":
            return BOOL, lambda names, count: all(test(names, count) is True for test in tests)
        return BOOL, lambda names, count: any(test(names, count) is True for test in tests)

    def _Compare(self, node: ast.Compare, depth: int) -> tuple[Kind, _Test]:
        left_node, (left_kind, left) = node.left, self.visit(node.left, depth)
        steps = []
        for op, right_node in zip(node.ops, node.comparators):
            right_kind, right = self.visit(right_node, depth)
            steps.append(self._comparison(op, left_node, left_kind, left, right_node, right_kind, right))
            left_node, left_kind, left = right_node, right_kind, right
        if len(steps) == 1:
            return BOOL, steps[0]
        return BOOL, lambda names, count: all(step(names, count) for step in steps)

    def _comparison(self, op, left_node, left_kind: Kind, left: _Test, right_node, right_kind: Kind,
                    right: _Test) -> _Test:
        symbol = _SYMBOL.get(type(op))
        if symbol is None:  # `is`, `is not`
            raise ExpressionError(_("'is' and 'is not' are not part of the condition language; use == or !="))
        if symbol in ("in", "not in"):
            test = self._membership(left_node, left_kind, left, right_node, right_kind, right)
            return test if symbol == "in" else (lambda names, count: not test(names, count))
        left_kind, left, right_kind, right = self._dated(left_node, left_kind, left, right_node, right_kind, right)
        kind = left_kind if left_kind not in (NULL,) else right_kind
        for value_node, value_kind, other_kind in ((left_node, left_kind, right_kind), (right_node, right_kind, left_kind)):
            self._choice_literal(value_node, other_kind)
        if symbol in ("==", "!="):
            if NULL not in (left_kind, right_kind) and _base(left_kind) != _base(right_kind):
                raise _refusal(_("it compares {left_kind} {left} with {right_kind} {right}; they can never be equal"),
                               left_kind=left_kind, left=left_node, right_kind=right_kind, right=right_node)
            equal = lambda names, count: left(names, count) == right(names, count)  # noqa: E731
            return equal if symbol == "==" else (lambda names, count: not equal(names, count))
        if _base(left_kind) != _base(right_kind) or _base(kind) not in ("number", "date"):
            raise _refusal(_("it orders {left_kind} {left} and {right_kind} {right}; '<', '<=', '>', '>=' compare "
                             "two numbers or two dates"), left_kind=left_kind, left=left_node, right_kind=right_kind,
                           right=right_node)
        compare = _ORDER[type(op)]
        return lambda names, count: _ordered(compare, left(names, count), right(names, count))

    def _membership(self, left_node, left_kind: Kind, left: _Test, right_node, right_kind: Kind,
                    right: _Test) -> _Test:
        if right_kind.name == "text":
            if left_kind.name not in ("text", "null"):
                raise _refusal(_("{part} is {kind}; 'in' text looks for text in it"), part=left_node, kind=left_kind)
            return lambda names, count: _within(left(names, count), right(names, count), "")
        if right_kind.name != "list":
            raise _refusal(_("{part} is {kind}; 'in' needs a list, e.g. ['B', 'C'], a units field, or text"),
                           part=right_node, kind=right_kind)
        if left_kind.name == "list":
            raise _refusal(_("{part} is a list; 'in' asks whether one value is in a list"), part=left_node)
        if left_kind == DATE and right_kind.element == "text" and isinstance(right_node, (ast.List, ast.Tuple)):
            right_kind, right = Kind("list", element="date"), self._dates(right_node)
        if right_kind.element and left_kind != NULL and _base(left_kind) != right_kind.element:
            raise _refusal(_("it looks for {left_kind} {left} in {right_kind} {right}; it could never be there"),
                           left_kind=left_kind, left=left_node, right_kind=right_kind, right=right_node)
        self._choice_literal(right_node, left_kind)
        return lambda names, count: _within(left(names, count), right(names, count), ())

    def _dated(self, left_node, left_kind: Kind, left: _Test, right_node, right_kind: Kind,
               right: _Test) -> tuple[Kind, _Test, Kind, _Test]:
        """A text literal compared with a date is a date: checked, and written as the item holds dates."""
        if left_kind == DATE and right_kind == TEXT and isinstance(right_node, ast.Constant):
            return left_kind, left, DATE, self._date_literal(right_node)
        if right_kind == DATE and left_kind == TEXT and isinstance(left_node, ast.Constant):
            return DATE, self._date_literal(left_node), right_kind, right
        return left_kind, left, right_kind, right

    def _date_literal(self, node: ast.Constant) -> _Test:
        try:
            day = date.fromisoformat(node.value).isoformat()
        except ValueError:
            raise _refusal(_("{part} is compared with a date but is not one; write a date such as '2024-06-30'"),
                           part=node) from None
        return lambda names, count: day

    def _dates(self, node: ast.List | ast.Tuple) -> _Test:
        days = tuple(self._date_literal(element)(None, None) if isinstance(element, ast.Constant)
                     and isinstance(element.value, str) else None for element in node.elts)
        return lambda names, count: days

    @staticmethod
    def _choice_literal(node, other: Kind) -> None:
        """Text compared with a choice field must be one of its choices."""
        if not other.choices:
            return
        literals = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
        for literal in literals:
            if isinstance(literal, ast.Constant) and isinstance(literal.value, str) and literal.value not in other.choices:
                raise _refusal(_("'{value}' (column {column}) is not a choice; choices: {choices}"),
                               value=literal.value[:40], column=literal.col_offset + 1,
                               choices=", ".join(other.choices)[:200])

    def _Call(self, node: ast.Call, depth: int) -> tuple[Kind, _Test]:
        function = node.func.id if isinstance(node.func, ast.Name) else None
        if function not in FUNCTIONS:
            raise _refusal(_("{part} is not a function of the condition language; functions: has(field), "
                             "count('event'), len(x)"), part=node.func)
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            example = "'urge'" if function == "count" else "promised_on"
            raise _refusal(_("{function}() takes one value, e.g. {function}({example})"), function=function,
                           example=example)
        argument = node.args[0]
        if function == "count":
            return self._count(argument)
        if function == "has":
            if not isinstance(argument, ast.Name) or argument.id in _LITERAL_NAMES:
                raise _refusal(_("has() names a field, e.g. has(promised_on), not {part}"), part=argument)
            _kind, value = self.visit(argument, depth)
            return BOOL, lambda names, count: value(names, count) not in (None, "", [])
        kind, value = self.visit(argument, depth)
        if kind.name not in ("text", "list"):
            raise _refusal(_("len() measures text or a list, not {kind} {part}"), kind=kind, part=argument)
        return NUMBER, lambda names, count: len(value(names, count) or ())

    def _count(self, argument: ast.AST) -> tuple[Kind, _Test]:
        event = argument.value if isinstance(argument, ast.Constant) else \
            argument.id if isinstance(argument, ast.Name) else None
        if not isinstance(event, str) or event not in self.events:
            raise _refusal(_("count() takes an event of this workflow, not {part}; events: {events}"), part=argument,
                           events=", ".join(sorted(self.events))[:200])
        if self.no_count:
            raise _refusal(_("count() cannot be used here: {reason}"), reason=self.no_count)
        self.uses_count = True
        return NUMBER, lambda names, count: count(event)

    @staticmethod
    def _need(wanted: Kind, kind: Kind, node: ast.AST, where: str) -> None:
        if kind != wanted:
            raise _refusal(_("{operator} joins conditions, but {part} is {kind}; compare it with a value or ask "
                             "has(…)"), operator=where, part=node, kind=kind)


def _literal(node: ast.AST) -> bool:
    """A value written out: text, a number (signed), true, false or null."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
        return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and node.id in _LITERAL_NAMES)


def _base(kind: Kind) -> str:
    return kind.name


def _ordered(compare, left: object, right: object) -> bool:
    """`<` and the like: false when either side is unset, or the item holds something unexpected."""
    if left is None or right is None or isinstance(left, bool) or isinstance(right, bool):
        return False
    try:
        return compare(left, right)
    except TypeError:
        return False


def _within(value: object, container: object, empty) -> bool:
    try:
        return value in (container if container is not None else empty)
    except TypeError:  # text in text with an unset value, or something the item should not hold
        return False


class TraceCounts:
    """count() for one item: how often each event stands in its trace, asked of the
    transaction once per event name and only when an expression asks; `pending` is the event
    being fired, counted as if applied (a branch judges the item after its event)."""

    __slots__ = ("_tx", "_item_id", "_pending", "_seen")

    def __init__(self, tx, item_id: int, pending: str | None = None) -> None:
        self._tx, self._item_id, self._pending, self._seen = tx, item_id, pending, {}

    def __call__(self, event: str) -> int:
        found = self._seen.get(event)
        if found is None:
            found = self._seen[event] = self._tx.count_events(self._item_id, event) + (event == self._pending)
        return found
