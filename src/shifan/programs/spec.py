"""The programme spec ("policy as data"): one YAML file per batch, read into frozen dataclasses.

A spec (see programs/README.md) declares the categories with their forms, the eligibility rules by
name with parameters, the rubric and its weights, the quotas and the batch defaults. `load_spec`
and `parse_spec` validate everything they read and raise `SpecError`, whose message names the file,
the line and the key path in Chinese and English, so an officer can fix the file without reading code.

Computed fields hold small arithmetic expressions over other field keys. They are parsed with `ast`
and evaluated with `Decimal` by `evaluate_computed`; nothing in a spec is ever passed to `eval`.

Pure Python on purpose: no Django, no database, so the spec can be checked by tests, by a management
command and at start-up alike.
"""

from __future__ import annotations

import ast
import decimal
import difflib
import functools
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, NoReturn

import yaml

# --- vocabulary -----------------------------------------------------------------------------------

NUMERIC_TYPES: Final = frozenset({"integer", "money", "percent", "decimal"})
# Types a table column (or a yearly row) may have: one value per cell, no nesting.
SIMPLE_TYPES: Final = NUMERIC_TYPES | {
    "text",
    "date",
    "choice",
    "yesno",
    "credit_code",
    "phone",
    "email",
    "url",
}
FIELD_TYPES: Final = SIMPLE_TYPES | {
    "longtext",
    "multichoice",
    "table",
    "yearly",
    "attachments",
    "confirm",
    "service_revenue_breakdown",
}
DEFAULT_UNITS: Final = MappingProxyType({"money": "万元", "percent": "%"})

ATTACHMENT_KINDS: Final = ("pdf", "image", "word", "excel")
# Organisation attributes a field may be pre-filled from (the accounts app provides them).
PREFILL_ATTRIBUTES: Final = frozenset(
    {"name", "credit_code", "address", "city", "county", "contact_name", "contact_phone", "contact_email"}
)
# Reference lists (shifan.core.reference) a choice may take its options from.
OPTION_SOURCES: Final = frozenset({"registration_types", "industries", "manufacturing_industries"})

# The eligibility rules the eligibility app implements, one function each. A spec chooses and
# parameterises them; a name outside this list is a typo or a rule nobody has written yet.
KNOWN_RULES: Final = frozenset(
    {
        # 共性条件
        "registered_in_guangdong",
        "sound_finances",
        "no_major_accident",
        "not_on_credit_blacklists",
        # 专项条件: 示范企业
        "manufacturing_industry",
        "service_revenue_share",
        "prior_year_revenue",
        # 专项条件: 示范平台
        "in_operation",
        "shared_manufacturing_capabilities",
        # 专项条件 stated in words, judged by the city and the experts
        "stated_in_words",
        # consistency of the figures an application states
        "service_share_consistent",
        "debt_ratio_consistent",
        "service_breakdown_sums",
        "three_years_present",
        "figures_plausible",
    }
)
# Rule groups besides the category keys; their rules apply to every category unless narrowed.
SHARED_RULE_GROUPS: Final = ("common", "consistency")

SECTION_PARTS: Final = ("table", "written")  # 表格 and 文字说明, the two parts of the 申报书
RUBRIC_TOTAL: Final = Decimal(100)
EXPRESSION_PRECISION: Final = 28
_MAX_EXPRESSION_LENGTH: Final = 500
_MAX_DEPTH: Final = 40

_KEY_RE: Final = re.compile(r"[a-z][a-z0-9_]*\Z")
_SPEC_KEY_RE: Final = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_CODE_RE: Final = re.compile(r"[A-Z]{1,3}\Z")

# Keys every field accepts, and the further keys each type accepts.
_FIELD_KEYS: Final = frozenset(
    {"key", "label", "type", "required", "help", "note", "required_if", "supplement"}
)
_NUMERIC_KEYS: Final = frozenset({"min", "max", "unit", "computed", "plausible_max"})
_TYPE_KEYS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "text": frozenset({"max_length", "prefill"}),
        "longtext": frozenset({"max_length", "guidance", "evidence", "indicator", "attachments"}),
        "integer": _NUMERIC_KEYS,
        "money": _NUMERIC_KEYS,
        "percent": _NUMERIC_KEYS,
        "decimal": _NUMERIC_KEYS,
        "date": frozenset(),
        "choice": frozenset({"options", "groups", "options_from"}),
        "multichoice": frozenset({"options", "groups", "options_from"}),
        "yesno": frozenset(),
        "table": frozenset({"columns", "min_rows", "max_rows"}),
        "yearly": frozenset({"rows", "years"}),
        "credit_code": frozenset({"prefill"}),
        "phone": frozenset({"prefill"}),
        "email": frozenset({"prefill"}),
        "url": frozenset({"prefill"}),
        "attachments": frozenset({"accept", "max_size_mb", "max_files"}),
        "confirm": frozenset({"text"}),
        "service_revenue_breakdown": frozenset({"source_field", "columns"}),
    }
)
_ALL_FIELD_KEYS: Final = _FIELD_KEYS.union(*_TYPE_KEYS.values())
_COLUMN_KEYS: Final = frozenset(
    {"key", "label", "type", "required", "help", "note", "min", "max", "max_length", "unit", "options"}
    | {"computed", "sum_max", "plausible_max", "supplement"}
)

PathPart = str | int


# --- errors ---------------------------------------------------------------------------------------


class SpecError(ValueError):
    """Raised when a programme spec cannot be read or breaks a rule of the format.

    The message reads `file:line key.path: 中文说明（English explanation）`.
    """

    def __init__(self, source_name: str, line: int, path: str, message_zh: str, message_en: str) -> None:
        self.source_name = source_name
        self.line = line
        self.path = path
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{source_name}:{line} {path}: {message_zh}（{message_en}）")


class ExpressionError(ValueError):
    """Raised when a computed expression uses anything beyond names, numbers, + - * / and parentheses."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh}（{message_en}）")


# --- the spec as data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One choice of a choice or multichoice field; `other` asks for free text beside it."""

    key: str
    label: str
    other: bool = False
    group: str | None = None
    help: str = ""
    note: str = ""


@dataclass(frozen=True)
class OptionGroup:
    """A heading over some options of a multichoice field (e.g. 研发设计阶段)."""

    key: str
    label: str
    note: str = ""


@dataclass(frozen=True)
class Condition:
    """`required_if`: required when `field` equals `equals` (for a multichoice: when it contains it)."""

    field: str
    equals: str | bool | int


@dataclass(frozen=True)
class Attachments:
    """Which files a field takes: kinds (pdf, image, word, excel), size per file, number of files."""

    accept: tuple[str, ...]
    max_size_mb: int
    max_files: int | None = None


@dataclass(frozen=True)
class Column:
    """A column of a table field, or a row of a yearly field: one simple value per cell."""

    key: str
    label: str
    type: str
    required: bool = True
    help: str = ""
    note: str = ""
    min: Decimal | None = None
    max: Decimal | None = None
    max_length: int | None = None
    unit: str = ""
    options: tuple[Option, ...] = ()
    computed: str | None = None
    sum_max: Decimal | None = None  # the column's total over all rows may not exceed this
    # Above this a figure is probably typed in another unit (元 for 万元): a warning, never a refusal.
    plausible_max: Decimal | None = None
    # Asked by the programme, not a row of the official form: the book prints it under 补充信息.
    supplement: bool = False

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES


@dataclass(frozen=True)
class Field:
    """One question of a form. Attributes a type does not use keep their empty default."""

    key: str
    label: str
    type: str
    required: bool = True
    help: str = ""
    note: str = ""
    # Asked by the programme, not a row of the official form: the book prints it under 补充信息.
    supplement: bool = False
    # numbers and text
    min: Decimal | None = None
    max: Decimal | None = None
    max_length: int | None = None
    unit: str = ""
    prefill: str | None = None
    computed: str | None = None
    plausible_max: Decimal | None = None  # see Column.plausible_max
    required_if: Condition | None = None
    # choice, multichoice
    options: tuple[Option, ...] = ()
    groups: tuple[OptionGroup, ...] = ()
    options_from: str | None = None
    # table, service_revenue_breakdown (columns); yearly (rows over years)
    columns: tuple[Column, ...] = ()
    rows: tuple[Column, ...] = ()
    years: tuple[int, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    source_field: str | None = None
    # confirm
    text: str = ""
    # longtext: the outline row it answers
    indicator: tuple[str, ...] = ()
    guidance: str = ""
    evidence: str = ""
    # attachments, or the evidence slot of a longtext
    attachments: Attachments | None = None

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    def option(self, key: str) -> Option:
        """Return the option with this key; raise KeyError if there is none."""
        for option in self.options:
            if option.key == key:
                return option
        raise KeyError(key)

    def column(self, key: str) -> Column:
        """Return the table column (or yearly row) with this key; raise KeyError if there is none."""
        for column in self.columns + self.rows:
            if column.key == key:
                return column
        raise KeyError(key)


@dataclass(frozen=True)
class Section:
    """A titled group of fields; `part` is "table" (表格) or "written" (文字说明)."""

    key: str
    title: str
    fields: tuple[Field, ...]
    part: str = "table"
    help: str = ""
    note: str = ""
    # Not part of the official form: all its fields print under 补充信息.
    supplement: bool = False

    @property
    def field_keys(self) -> frozenset[str]:
        return frozenset(field.key for field in self.fields)


@dataclass(frozen=True)
class Outline:
    """The 申报要点 outline the written sections follow: its title and column headings."""

    title: str
    headings: tuple[str, ...]


@dataclass(frozen=True)
class Form:
    """The application form of one category (表1-1, 表1-2)."""

    title: str
    sections: tuple[Section, ...]
    table: str = ""
    outline: Outline | None = None
    note: str = ""
    _by_key: Mapping[str, Field] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: field lookups happen for every value an application saves.
        object.__setattr__(self, "_by_key", MappingProxyType({f.key: f for f in self.fields()}))

    def fields(self) -> Iterator[Field]:
        """Yield every field of every section, in form order."""
        for section in self.sections:
            yield from section.fields

    def field(self, key: str) -> Field:
        """Return the field with this key; raise KeyError if there is none."""
        return self._by_key[key]

    def section(self, key: str) -> Section:
        """Return the section with this key; raise KeyError if there is none."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)


@dataclass(frozen=True)
class RubricIndicator:
    """A scoring indicator: a leaf scores one written field, a parent sums its children."""

    key: str
    label: str
    weight: Decimal
    field: str | None = None
    children: tuple[RubricIndicator, ...] = ()
    note: str = ""

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def leaves(self) -> Iterator[RubricIndicator]:
        """Yield the scored indicators under (or equal to) this one, in order."""
        if self.is_leaf:
            yield self
        for child in self.children:
            yield from child.leaves()


@dataclass(frozen=True)
class Rule:
    """An eligibility rule chosen by name, with the form fields it reads and its parameters."""

    name: str
    label: str
    clause: str
    group: str
    categories: tuple[str, ...]
    fields: Mapping[str, str] = dataclass_field(default_factory=lambda: MappingProxyType({}))
    params: Mapping[str, Any] = dataclass_field(default_factory=lambda: MappingProxyType({}))
    note: str = ""
    # Tells apart several uses of one rule (stated_in_words) in a category; the name otherwise.
    key: str = ""

    @property
    def ident(self) -> str:
        """Return what identifies the rule in a category's results: its key, else its name."""
        return self.key or self.name

    def applies_to(self, category_key: str) -> bool:
        return category_key in self.categories


@dataclass(frozen=True)
class Category:
    """A category of the programme (示范企业, 示范平台) with its form, rubric and quota."""

    key: str
    code: str
    name: str
    form: Form
    rubric: tuple[RubricIndicator, ...]
    quota: int
    description: str = ""
    note: str = ""

    def rubric_leaves(self) -> Iterator[RubricIndicator]:
        """Yield the scored indicators, in order."""
        for indicator in self.rubric:
            yield from indicator.leaves()


@dataclass(frozen=True)
class Defaults:
    """Values a new batch starts from; the province officer may change them per batch."""

    notice_working_days: int
    experts_per_application: int
    same_city_conflict: bool
    recognition_valid_years: int
    attachment_max_size_mb: int
    note: str = ""
    # The impartiality and confidentiality commitment (承诺书) each expert signs before scoring.
    expert_commitment: str = ""


# The figures of a tracking report the checks read, by role, and the types each may have.
TRACKING_ROLES: Final = MappingProxyType(
    {
        "operating_revenue": (frozenset({"money"}), True),
        "service_revenue": (frozenset({"money"}), False),
        "service_share": (frozenset({"percent"}), True),
        "accident": (frozenset({"yesno"}), True),
    }
)


@dataclass(frozen=True)
class Tracking:
    """The periodic report of recognised units (动态跟踪): its form per category and its checks.

    `fields` maps each role of TRACKING_ROLES to the report field holding it. A report is flagged
    when its operating revenue falls by `revenue_drop_percent` or more from the application's latest
    year, or its service share by `share_drop_points` percentage points or more.
    """

    title: str
    forms: Mapping[str, Form]
    fields: Mapping[str, str]
    revenue_drop_percent: Decimal
    share_drop_points: Decimal
    note: str = ""

    def form_for(self, category_key: str) -> Form:
        """Return the report form of a category (key); raise KeyError if there is none."""
        return self.forms[category_key]


@dataclass(frozen=True)
class Similarity:
    """How written sections are compared for copying (shifan.similarity, docs/decisions/0022).

    Texts are cut into `shingle_size`-character shingles after normalisation; two sections are a
    flagged pair when their estimated Jaccard similarity is `threshold` or more; sections shorter
    than `min_length` characters (after normalisation) are not compared; `boilerplate` phrases are
    removed before comparing, like the spec's own headings and 内容要点; `compare_figures` flags
    two applications whose yearly tables hold the same figures.
    """

    shingle_size: int = 5
    threshold: Decimal = Decimal("0.2")
    min_length: int = 100
    compare_figures: bool = True
    boilerplate: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class ProgrammeSpec:
    """A validated programme spec. `digest` identifies the exact text an application was made under."""

    key: str
    version: str
    name: str
    source: str
    application_year: int
    categories: tuple[Category, ...]
    rules: tuple[Rule, ...]
    defaults: Defaults
    source_name: str
    digest: str
    note: str = ""
    quotas_note: str = ""
    tracking: Tracking | None = None
    # A spec written before similarity detection has none: the defaults apply.
    similarity: Similarity = Similarity()

    def __hash__(self) -> int:
        # The digest identifies the text, and equal text gives an equal spec; rule parameters are
        # read-only mappings, which cannot be hashed field by field.
        return hash(self.digest)

    def category(self, code: str) -> Category:
        """Return the category with this code ("E") or key ("enterprise"); raise KeyError if unknown."""
        for category in self.categories:
            if code in (category.code, category.key):
                return category
        raise KeyError(code)

    def rules_for(self, category: str) -> tuple[Rule, ...]:
        """Return the eligibility rules that apply to a category (code or key), in spec order."""
        key = self.category(category).key
        return tuple(rule for rule in self.rules if rule.applies_to(key))


# --- expressions ----------------------------------------------------------------------------------

_BINARY_OPERATORS: Final = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@functools.lru_cache(maxsize=256)
def _parse_expression(expression: str) -> ast.Expression:
    """Return the checked syntax tree of an expression; raise ExpressionError for anything not allowed."""
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionError("表达式为空", "empty expression")
    if len(expression) > _MAX_EXPRESSION_LENGTH:
        raise ExpressionError("表达式过长", f"expression longer than {_MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"表达式语法错误：{exc.msg}", f"invalid expression: {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression | ast.Load):
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY_OPERATORS:
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            continue
        if isinstance(node, ast.Add | ast.Sub | ast.Mult | ast.Div | ast.UAdd | ast.USub):
            continue
        if isinstance(node, ast.Name):
            if not _KEY_RE.match(node.id):
                raise ExpressionError(
                    f'表达式中不允许使用名称 "{node.id}"',
                    f'name "{node.id}" is not allowed: names are field keys in lower snake_case',
                )
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            continue
        raise ExpressionError(*_refusal(node))
    return tree


def _refusal(node: ast.AST) -> tuple[str, str]:
    """Return the Chinese and English reason an expression node is refused."""
    if isinstance(node, ast.Attribute):
        return "表达式中不允许访问属性", "attribute access is not allowed"
    if isinstance(node, ast.Call):
        return "表达式中不允许调用函数", "function calls are not allowed"
    if isinstance(node, ast.Subscript):
        return "表达式中不允许下标访问", "subscripts are not allowed"
    if isinstance(node, ast.BinOp | ast.operator):
        return "表达式只允许 + - * / 运算", "only + - * / are allowed"
    if isinstance(node, ast.Constant):
        return "表达式中只允许数字常量", "only numeric constants are allowed"
    name = type(node).__name__
    return f"表达式中不允许使用 {name}", f"{name} is not allowed: use names, numbers, + - * / and parentheses"


def expression_names(expression: str) -> frozenset[str]:
    """Return the names an expression reads; raise ExpressionError if it is not allowed."""
    tree = _parse_expression(expression)
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


class _Missing(Exception):
    """Raised inside evaluation when an input has no usable value."""


def _as_decimal(value: object) -> Decimal:
    """Return an input value as a finite Decimal; raise _Missing when there is none."""
    if isinstance(value, bool) or value is None:
        raise _Missing
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float | str):
        try:
            # str() of a float gives its shortest exact-looking form: 0.1, not 0.1000000000000000055…
            result = Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise _Missing from None
    else:
        raise _Missing
    if not result.is_finite():
        raise _Missing
    return result


def _evaluate(node: ast.AST, values: Mapping[str, object]) -> Decimal:
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, values)
        right = _evaluate(node.right, values)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.Name):
        return _as_decimal(values.get(node.id))
    assert isinstance(node, ast.Constant)  # _parse_expression admits nothing else
    return _as_decimal(node.value)


def evaluate_computed(
    expression: str, values: Mapping[str, object], *, allowed_names: frozenset[str] | None = None
) -> Decimal | None:
    """Return the value of a computed expression over `values`, in Decimal arithmetic.

    Return None when an input is missing (absent, None, empty or not a number) or a division by zero
    occurs, since a computed field simply stays empty until its inputs are there. Raise
    ExpressionError when the expression uses anything but names, numbers, + - * / and parentheses,
    or (with `allowed_names`) a name outside that set.
    """
    tree = _parse_expression(expression)
    if allowed_names is not None:
        unknown = sorted(expression_names(expression) - allowed_names)
        if unknown:
            raise ExpressionError(
                f'表达式中不允许使用名称 "{unknown[0]}"', f'name "{unknown[0]}" is not allowed'
            )
    # A fixed context, so the result does not depend on whatever context the caller's thread has.
    with decimal.localcontext() as context:
        context.prec = EXPRESSION_PRECISION
        context.rounding = decimal.ROUND_HALF_EVEN
        context.traps[decimal.DivisionByZero] = True
        context.traps[decimal.InvalidOperation] = True
        context.traps[decimal.Overflow] = True
        try:
            return _evaluate(tree.body, values)
        except (_Missing, decimal.DivisionByZero, decimal.InvalidOperation, decimal.Overflow):
            return None


# --- reading YAML with line numbers ---------------------------------------------------------------


def _render_path(path: tuple[PathPart, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(root)"


class _Context:
    """The file name and the line of every key and list item, for error messages."""

    def __init__(self, source_name: str) -> None:
        self.source_name = source_name
        self.lines: dict[tuple[PathPart, ...], int] = {}

    def line(self, path: tuple[PathPart, ...]) -> int:
        # A missing key has no line of its own: report the nearest enclosing one.
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return 1

    def fail(self, path: tuple[PathPart, ...], message_zh: str, message_en: str) -> NoReturn:
        raise SpecError(self.source_name, self.line(path), _render_path(path), message_zh, message_en)


class _Builder:
    """Turn a composed YAML node tree into plain values, recording where each one was written."""

    _MERGE_TAG = "tag:yaml.org,2002:merge"

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: tuple[PathPart, ...]) -> Any:
        self.ctx.lines.setdefault(path, node.start_mark.line + 1)
        if len(path) > _MAX_DEPTH:
            # Also stops a recursive alias (&a [*a]) from recursing forever.
            self.ctx.fail(path, "嵌套层级过深", "nesting too deep")
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key, key_node, value_node in self._entries(node, path):
                self.ctx.lines[path + (key,)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        return self.constructor.construct_object(node)

    def _entries(
        self, node: yaml.MappingNode, path: tuple[PathPart, ...]
    ) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """Return the (key, key node, value node) entries of a mapping, merge keys (<<) applied.

        Keys written in the mapping itself win over merged ones, as in YAML's merge-key spec; a key
        written twice in the same mapping is an error (PyYAML would silently keep the last).
        """
        merged: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        own: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == self._MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        self.ctx.lines[path + ("<<",)] = key_node.start_mark.line + 1
                        self.ctx.fail(path + ("<<",), "合并键 << 只能引用映射", "<< can only merge mappings")
                    for merged_key, k, v in self._entries(source, path):
                        merged.setdefault(merged_key, (k, v))
                continue
            key = (
                self.constructor.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            )
            if not isinstance(key, str):
                self.ctx.lines[path + ("?",)] = key_node.start_mark.line + 1
                self.ctx.fail(path + ("?",), "键必须是文字", "keys must be strings")
            if key in own:
                self.ctx.lines[path + (key,)] = key_node.start_mark.line + 1
                first = own[key][0].start_mark.line + 1
                self.ctx.fail(
                    path + (key,),
                    f"键重复（首次出现在第 {first} 行）",
                    f"duplicate key, first on line {first}",
                )
            own[key] = (key_node, value_node)
        entries = {**merged, **own}
        return [(key, k, v) for key, (k, v) in entries.items()]


def _read_yaml(text: str, ctx: _Context) -> Any:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            ctx.fail((), "文件为空", "the file is empty")
        # Inside the try: an unknown tag (!!python/object…) only fails when its scalar is built.
        return _Builder(ctx).build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "syntax error"
        raise SpecError(
            ctx.source_name, line, "(root)", f"YAML 格式错误：{problem}", f"invalid YAML: {problem}"
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError(ctx.source_name, 1, "(root)", "YAML 格式错误", f"invalid YAML: {exc}") from None


# --- validation helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """A value inside the spec together with its key path, so any check can report where it failed."""

    ctx: _Context
    path: tuple[PathPart, ...]
    value: Any

    def __getitem__(self, key: PathPart) -> _At:
        return _At(self.ctx, self.path + (key,), self.value[key])

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def get(self, key: str) -> _At | None:
        return self[key] if self.has(key) else None

    def at(self, key: PathPart) -> _At:
        """Return the location of a key that may be absent (for reporting it missing)."""
        return _At(self.ctx, self.path + (key,), None)

    def fail(self, message_zh: str, message_en: str) -> NoReturn:
        self.ctx.fail(self.path, message_zh, message_en)


def _is_mapping(at: _At) -> None:
    if not isinstance(at.value, dict):
        at.fail("此处应为映射（键: 值）", "expected a mapping of key: value")


def _mapping(
    at: _At, required: frozenset[str] | set[str], optional: frozenset[str] | set[str] = frozenset()
) -> None:
    """Check that `at` is a mapping with all `required` keys and no key outside `required | optional`."""
    _is_mapping(at)
    allowed = set(required) | set(optional)
    for key in at.value:
        if key not in allowed:
            _unknown_key(at[key], key, allowed)
    for key in sorted(required):
        if key not in at.value:
            at.at(key).fail(f'缺少必填键 "{key}"', f'missing required key "{key}"')


def _unknown_key(at: _At, key: str, allowed: set[str] | frozenset[str]) -> NoReturn:
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    if close:
        at.fail(
            f'未知的键 "{key}"，是否应为 "{close[0]}"？', f'unknown key "{key}"; did you mean "{close[0]}"?'
        )
    at.fail(f'未知的键 "{key}"', f'unknown key "{key}"')


def _text(at: _At, key: str, *, required: bool = True, default: str = "") -> str:
    item = at.get(key)
    if item is None:
        if required:
            at.at(key).fail(f'缺少必填键 "{key}"', f'missing required key "{key}"')
        return default
    if not isinstance(item.value, str) or not item.value.strip():
        item.fail("应为非空文字（数字、日期等请加引号）", "expected non-empty text (quote numbers and dates)")
    return item.value.strip()


def _key(at: _At, key: str = "key") -> str:
    value = _text(at, key)
    if not _KEY_RE.match(value):
        at[key].fail(
            f'键名 "{value}" 应为小写英文、数字和下划线，以字母开头',
            f'key "{value}" must be lower snake_case starting with a letter',
        )
    return value


def _integer(at: _At, key: str, *, default: int | None = None, minimum: int | None = None) -> int | None:
    item = at.get(key)
    if item is None:
        return default
    if not isinstance(item.value, int) or isinstance(item.value, bool):
        item.fail("应为整数", "expected a whole number")
    if minimum is not None and item.value < minimum:
        item.fail(f"应不小于 {minimum}", f"must be at least {minimum}")
    return item.value


def _required_integer(at: _At, key: str, *, minimum: int | None = None) -> int:
    if not at.has(key):
        at.at(key).fail(f'缺少必填键 "{key}"', f'missing required key "{key}"')
    value = _integer(at, key, minimum=minimum)
    assert value is not None
    return value


def _boolean(at: _At, key: str, *, default: bool) -> bool:
    item = at.get(key)
    if item is None:
        return default
    if not isinstance(item.value, bool):
        item.fail("应为 true 或 false", "expected true or false")
    return item.value


def _number(at: _At, key: str) -> Decimal | None:
    item = at.get(key)
    if item is None:
        return None
    if isinstance(item.value, bool) or not isinstance(item.value, int | float):
        item.fail("应为数字", "expected a number")
    return Decimal(str(item.value))


def _list(at: _At, key: str, *, required: bool = True) -> list[_At]:
    item = at.get(key)
    if item is None:
        if required:
            at.at(key).fail(f'缺少必填键 "{key}"', f'missing required key "{key}"')
        return []
    if not isinstance(item.value, list) or (required and not item.value):
        item.fail("应为非空列表", "expected a non-empty list")
    return [item[index] for index in range(len(item.value))]


def _texts(at: _At, key: str) -> tuple[str, ...]:
    items = _list(at, key, required=False)
    for item in items:
        if not isinstance(item.value, str) or not item.value.strip():
            item.fail("应为非空文字", "expected non-empty text")
    return tuple(item.value.strip() for item in items)


def _unique(items: list[tuple[str, _At]], what_zh: str, what_en: str) -> None:
    """Fail at the second occurrence of a repeated key."""
    seen: dict[str, _At] = {}
    for key, at in items:
        if key in seen:
            first = seen[key].ctx.line(seen[key].path)
            at.fail(
                f'{what_zh} "{key}" 重复（首次出现在第 {first} 行）',
                f'duplicate {what_en} "{key}", first on line {first}',
            )
        seen[key] = at


def _expression(at: _At) -> str:
    value = _text(at, "computed")
    try:
        expression_names(value)
    except ExpressionError as exc:
        at["computed"].fail(exc.message_zh, exc.message_en)
    return value


def _check_expressions(scope: Mapping[str, tuple[str, str | None, _At]], what_zh: str, what_en: str) -> None:
    """Check computed expressions in one scope (a form, a yearly field's rows, a table's columns).

    `scope` maps each key to (type, expression or None, location). Every name must be a numeric key
    of the same scope, and computed values may not depend on themselves.
    """
    for _, expression, at in scope.values():
        if expression is None:
            continue
        for name in sorted(expression_names(expression)):
            if name not in scope:
                at["computed"].fail(
                    f'表达式引用了不存在的{what_zh} "{name}"',
                    f'expression refers to unknown {what_en} "{name}"',
                )
            if scope[name][0] not in NUMERIC_TYPES:
                at["computed"].fail(
                    f'表达式引用了非数值{what_zh} "{name}"',
                    f'expression refers to non-numeric {what_en} "{name}"',
                )
    state: dict[str, str] = {}

    def visit(key: str) -> None:
        state[key] = "active"
        _, expression, at = scope[key]
        for name in sorted(expression_names(expression)) if expression else ():
            if state.get(name) == "active":
                at["computed"].fail(
                    f'计算字段循环引用 "{name}"', f'computed values refer to each other in a cycle ("{name}")'
                )
            if name not in state:
                visit(name)
        state[key] = "done"

    for key in scope:
        if key not in state:
            visit(key)


# --- parsing the parts ----------------------------------------------------------------------------


def _parse_options(at: _At, *, group: str | None = None) -> list[tuple[Option, _At]]:
    result: list[tuple[Option, _At]] = []
    for item in _list(at, "options"):
        _mapping(item, {"key", "label"}, {"other", "help", "note"})
        option = Option(
            key=_key(item),
            label=_text(item, "label"),
            other=_boolean(item, "other", default=False),
            group=group,
            help=_text(item, "help", required=False),
            note=_text(item, "note", required=False),
        )
        result.append((option, item))
    return result


def _parse_choices(at: _At) -> tuple[tuple[Option, ...], tuple[OptionGroup, ...], str | None]:
    """Return (options, groups, options_from) of a choice or multichoice field."""
    given = [key for key in ("options", "groups", "options_from") if at.has(key)]
    if len(given) != 1:
        at.at("options").fail(
            "选择题须且只能给出 options、groups、options_from 之一",
            "a choice field needs exactly one of options, groups, options_from",
        )
    if given[0] == "options_from":
        source = _text(at, "options_from")
        if source not in OPTION_SOURCES:
            at["options_from"].fail(
                f'未知的选项来源 "{source}"',
                f'unknown option source "{source}"; expected one of {", ".join(sorted(OPTION_SOURCES))}',
            )
        return (), (), source
    pairs: list[tuple[Option, _At]] = []
    groups: list[tuple[OptionGroup, _At]] = []
    if given[0] == "options":
        pairs = _parse_options(at)
    else:
        for item in _list(at, "groups"):
            _mapping(item, {"key", "label", "options"}, {"note"})
            group = OptionGroup(
                key=_key(item), label=_text(item, "label"), note=_text(item, "note", required=False)
            )
            groups.append((group, item))
            pairs.extend(_parse_options(item, group=group.key))
    _unique([(g.key, a["key"]) for g, a in groups], "选项组键", "option group key")
    # Option keys are what an answer stores, so they must be unique across groups too.
    _unique([(o.key, a["key"]) for o, a in pairs], "选项键", "option key")
    return tuple(o for o, _ in pairs), tuple(g for g, _ in groups), None


def _check_bounds(at: _At, minimum: Decimal | None, maximum: Decimal | None) -> None:
    if minimum is not None and maximum is not None and minimum > maximum:
        at["max"].fail("max 不应小于 min", "max must not be below min")


def _parse_column(at: _At, allowed_types: frozenset[str], what_zh: str) -> Column:
    _mapping(at, {"key", "label", "type"}, _COLUMN_KEYS)
    column_type = _text(at, "type")
    if column_type not in allowed_types:
        at["type"].fail(
            f'{what_zh}不能使用类型 "{column_type}"',
            f'type "{column_type}" is not allowed here; expected one of {", ".join(sorted(allowed_types))}',
        )
    numeric = column_type in NUMERIC_TYPES
    for key in ("min", "max", "unit", "computed", "sum_max", "plausible_max"):
        if at.has(key) and not numeric:
            at[key].fail(f'只有数值类型可使用 "{key}"', f'"{key}" applies to numeric types only')
    if at.has("max_length") and column_type != "text":
        at["max_length"].fail("只有 text 类型可使用 max_length", "max_length applies to text only")
    options: tuple[Option, ...] = ()
    if column_type == "choice":
        pairs = _parse_options(at)
        _unique([(o.key, item["key"]) for o, item in pairs], "选项键", "option key")
        options = tuple(o for o, _ in pairs)
    elif at.has("options"):
        at["options"].fail("只有 choice 类型可使用 options", "options applies to choice only")
    minimum, maximum = _number(at, "min"), _number(at, "max")
    _check_bounds(at, minimum, maximum)
    return Column(
        key=_key(at),
        label=_text(at, "label"),
        type=column_type,
        required=_boolean(at, "required", default=True),
        help=_text(at, "help", required=False),
        note=_text(at, "note", required=False),
        min=minimum,
        max=maximum,
        max_length=_integer(at, "max_length", minimum=1),
        unit=_text(at, "unit", required=False, default=DEFAULT_UNITS.get(column_type, "")),
        options=options,
        computed=_expression(at) if at.has("computed") else None,
        sum_max=_number(at, "sum_max"),
        plausible_max=_number(at, "plausible_max"),
        supplement=_boolean(at, "supplement", default=False),
    )


def _parse_columns(
    at: _At, key: str, allowed_types: frozenset[str], what_zh: str, what_en: str
) -> tuple[Column, ...]:
    items = _list(at, key)
    columns = [_parse_column(item, allowed_types, what_zh) for item in items]
    _unique(
        [(c.key, item["key"]) for c, item in zip(columns, items, strict=True)],
        f"{what_zh}键",
        f"{what_en} key",
    )
    _check_expressions(
        {c.key: (c.type, c.computed, item) for c, item in zip(columns, items, strict=True)}, what_zh, what_en
    )
    return tuple(columns)


def _parse_attachments(at: _At, default_size: int) -> Attachments:
    accept = _texts(at, "accept") or ATTACHMENT_KINDS
    for index, kind in enumerate(accept):
        if kind not in ATTACHMENT_KINDS:
            at["accept"][index].fail(
                f'未知的附件类型 "{kind}"',
                f'unknown attachment kind "{kind}"; expected {", ".join(ATTACHMENT_KINDS)}',
            )
    size = _integer(at, "max_size_mb", default=default_size, minimum=1)
    assert size is not None
    return Attachments(accept=tuple(accept), max_size_mb=size, max_files=_integer(at, "max_files", minimum=1))


def _parse_field(at: _At, *, application_year: int, attachment_size: int) -> Field:
    if not isinstance(at.value, dict):
        at.fail("字段应为映射（键: 值）", "a field must be a mapping of key: value")
    field_type = _text(at, "type")
    if field_type not in FIELD_TYPES:
        close = difflib.get_close_matches(field_type, sorted(FIELD_TYPES), n=1)
        hint_zh, hint_en = (
            (f'，是否应为 "{close[0]}"？', f'; did you mean "{close[0]}"?') if close else ("", "")
        )
        at["type"].fail(f'未知字段类型 "{field_type}"{hint_zh}', f"unknown field type{hint_en}")
    allowed = _FIELD_KEYS | _TYPE_KEYS[field_type]
    for key in at.value:
        if key not in allowed and key in _ALL_FIELD_KEYS:
            at[key].fail(
                f'类型为 {field_type} 的字段不使用 "{key}"', f'"{key}" does not apply to a {field_type} field'
            )
    _mapping(at, {"key", "label", "type"}, allowed)

    values: dict[str, Any] = {
        "key": _key(at),
        "label": _text(at, "label"),
        "type": field_type,
        "required": _boolean(at, "required", default=True),
        "help": _text(at, "help", required=False),
        "note": _text(at, "note", required=False),
        "supplement": _boolean(at, "supplement", default=False),
        "unit": _text(at, "unit", required=False, default=DEFAULT_UNITS.get(field_type, "")),
        "max_length": _integer(at, "max_length", minimum=1),
        "min": _number(at, "min"),
        "max": _number(at, "max"),
        "plausible_max": _number(at, "plausible_max"),
    }
    _check_bounds(at, values["min"], values["max"])
    if at.has("prefill"):
        prefill = _text(at, "prefill")
        if prefill not in PREFILL_ATTRIBUTES:
            at["prefill"].fail(
                f'未知的预填属性 "{prefill}"',
                f'unknown prefill attribute "{prefill}"; expected one of '
                f"{', '.join(sorted(PREFILL_ATTRIBUTES))}",
            )
        values["prefill"] = prefill
    if at.has("computed"):
        values["computed"] = _expression(at)
    if at.has("required_if"):
        condition = at["required_if"]
        _mapping(condition, {"field", "equals"})
        equals = condition["equals"].value
        if not isinstance(equals, str | bool | int):
            condition["equals"].fail("应为文字、数字或 true/false", "expected text, a number or true/false")
        values["required_if"] = Condition(field=_key(condition, "field"), equals=equals)

    if field_type in ("choice", "multichoice"):
        values["options"], values["groups"], values["options_from"] = _parse_choices(at)
    elif field_type == "table":
        values["columns"] = _parse_columns(at, "columns", SIMPLE_TYPES, "列", "column")
        values["min_rows"] = _integer(at, "min_rows", default=1 if values["required"] else 0, minimum=0)
        values["max_rows"] = _integer(at, "max_rows", minimum=1)
        if values["max_rows"] is not None and values["max_rows"] < values["min_rows"]:
            at["max_rows"].fail("max_rows 不应小于 min_rows", "max_rows must not be below min_rows")
    elif field_type == "yearly":
        count = _required_integer(at, "years", minimum=1)
        # The figures asked are those of the complete years before the application year.
        values["years"] = tuple(range(application_year - count, application_year))
        values["rows"] = _parse_columns(at, "rows", NUMERIC_TYPES, "指标行", "row")
    elif field_type == "service_revenue_breakdown":
        values["source_field"] = _key(at, "source_field")
        values["columns"] = _parse_columns(at, "columns", NUMERIC_TYPES, "列", "column")
    elif field_type == "confirm":
        values["text"] = _text(at, "text")
    elif field_type == "longtext":
        values["indicator"] = _texts(at, "indicator")
        if len(values["indicator"]) > 3:
            at["indicator"].fail("指标最多三级", "an indicator has at most three levels")
        values["guidance"] = _text(at, "guidance", required=False)
        values["evidence"] = _text(at, "evidence", required=False)
        slot = at.get("attachments")
        if slot is not None and slot.value is not False:
            if slot.value is True:
                values["attachments"] = Attachments(accept=ATTACHMENT_KINDS, max_size_mb=attachment_size)
            else:
                _mapping(slot, set(), {"accept", "max_size_mb", "max_files"})
                values["attachments"] = _parse_attachments(slot, attachment_size)
    elif field_type == "attachments":
        values["attachments"] = _parse_attachments(at, attachment_size)
    return Field(**values)


def _parse_form(at: _At, *, application_year: int, attachment_size: int) -> tuple[Form, dict[str, _At]]:
    """Return the form and the location of each field (for checks that refer to fields by key)."""
    _mapping(at, {"title", "sections"}, {"table", "outline", "note"})
    outline = None
    if at.has("outline"):
        _mapping(at["outline"], {"title", "headings"})
        outline = Outline(title=_text(at["outline"], "title"), headings=_texts(at["outline"], "headings"))

    sections: list[Section] = []
    located: list[tuple[Field, _At]] = []
    section_items = _list(at, "sections")
    for item in section_items:
        _mapping(item, {"key", "title", "fields"}, {"part", "help", "note", "supplement"})
        part = _text(item, "part", required=False, default="table")
        if part not in SECTION_PARTS:
            item["part"].fail(f'未知的部分 "{part}"', f'unknown part "{part}"; expected table or written')
        fields = []
        for field_at in _list(item, "fields"):
            parsed = _parse_field(
                field_at, application_year=application_year, attachment_size=attachment_size
            )
            fields.append(parsed)
            located.append((parsed, field_at))
        sections.append(
            Section(
                key=_key(item),
                title=_text(item, "title"),
                fields=tuple(fields),
                part=part,
                help=_text(item, "help", required=False),
                note=_text(item, "note", required=False),
                supplement=_boolean(item, "supplement", default=False),
            )
        )
    _unique(
        [(s.key, item["key"]) for s, item in zip(sections, section_items, strict=True)],
        "分节键",
        "section key",
    )
    _unique([(f.key, field_at["key"]) for f, field_at in located], "字段键", "field key")

    by_key = {f.key: (f, field_at) for f, field_at in located}
    _check_expressions({f.key: (f.type, f.computed, a) for f, a in by_key.values()}, "字段", "field")
    for f, field_at in by_key.values():
        if f.required_if is not None:
            _check_condition(f, field_at["required_if"], by_key)
        if f.source_field is not None:
            source = by_key.get(f.source_field)
            if source is None:
                field_at["source_field"].fail(
                    f'source_field 指向不存在的字段 "{f.source_field}"',
                    f'source_field names unknown field "{f.source_field}"',
                )
            if source[0].type != "multichoice":
                field_at["source_field"].fail(
                    "source_field 应指向多选字段", "source_field must name a multichoice field"
                )

    form = Form(
        title=_text(at, "title"),
        sections=tuple(sections),
        table=_text(at, "table", required=False),
        outline=outline,
        note=_text(at, "note", required=False),
    )
    return form, {f.key: field_at for f, field_at in located}


def _check_condition(f: Field, at: _At, by_key: Mapping[str, tuple[Field, _At]]) -> None:
    assert f.required_if is not None
    target = by_key.get(f.required_if.field)
    if target is None or target[0].key == f.key:
        at["field"].fail(
            f'required_if 指向不存在的字段 "{f.required_if.field}"',
            f'required_if names unknown field "{f.required_if.field}"',
        )
    other, equals = target[0], f.required_if.equals
    if other.type == "yesno" and not isinstance(equals, bool):
        at["equals"].fail("是否题的条件值应为 true 或 false", "a yesno field is compared with true or false")
    if (
        other.type in ("choice", "multichoice")
        and other.options
        and equals not in {o.key for o in other.options}
    ):
        at["equals"].fail(
            f'"{equals}" 不是字段 "{other.key}" 的选项键', f'"{equals}" is not an option key of "{other.key}"'
        )


def _parse_rubric(at: _At, form: Form, fields_at: Mapping[str, _At]) -> tuple[RubricIndicator, ...]:
    if not isinstance(at.value, list) or not at.value:
        at.fail("应为非空指标列表", "expected a non-empty list of indicators")
    keys: list[tuple[str, _At]] = []

    def parse(item: _At) -> RubricIndicator:
        _mapping(item, {"key", "label", "weight"}, {"field", "children", "note"})
        weight = _number(item, "weight")
        assert weight is not None
        if weight <= 0:
            item["weight"].fail("权重应大于 0", "weight must be above 0")
        keys.append((_key(item), item["key"]))
        if item.has("children") == item.has("field"):
            item.fail(
                "指标须有 field（评分的文字说明字段）或 children（下级指标）之一",
                "an indicator needs either field or children",
            )
        children = tuple(parse(child) for child in _list(item, "children", required=False))
        field_key = None
        if children:
            total = sum((c.weight for c in children), Decimal(0))
            if total != weight:
                item["weight"].fail(
                    f"下级指标权重合计为 {total}，应等于本指标权重 {weight}",
                    f"children's weights add up to {total}, not {weight}",
                )
        else:
            field_key = _key(item, "field")
            if field_key not in fields_at:
                item["field"].fail(f'字段 "{field_key}" 不存在', f'no field "{field_key}" in this form')
            if form.field(field_key).type != "longtext":
                item["field"].fail(
                    f'字段 "{field_key}" 不是长文本字段', f'field "{field_key}" is not a longtext field'
                )
        return RubricIndicator(
            key=item["key"].value,
            label=_text(item, "label"),
            weight=weight,
            field=field_key,
            children=children,
            note=_text(item, "note", required=False),
        )

    indicators = tuple(parse(at[index]) for index in range(len(at.value)))
    _unique(keys, "指标键", "indicator key")
    total = sum((i.weight for i in indicators), Decimal(0))
    if total != RUBRIC_TOTAL:
        at.fail(f"一级指标权重合计为 {total}，应为 100", f"top-level weights add up to {total}, not 100")
    return indicators


def _check_field_path(at: _At, path: str, form: Form, category: str) -> None:
    """Check a rule's field reference: `field`, or `field.row` / `field.column` of a yearly or table field."""
    head, _, tail = path.partition(".")
    try:
        target = form.field(head)
    except KeyError:
        at.fail(f'表单 {category} 中没有字段 "{head}"', f'no field "{head}" in the {category} form')
    if tail:
        try:
            target.column(tail)
        except KeyError:
            at.fail(f'字段 "{head}" 没有行或列 "{tail}"', f'field "{head}" has no row or column "{tail}"')


def _plain(at: _At) -> Any:
    """Return a parameter value as an immutable plain value (text, number, bool, list, mapping)."""
    if isinstance(at.value, dict):
        return MappingProxyType({k: _plain(at[k]) for k in at.value})
    if isinstance(at.value, list):
        return tuple(_plain(at[i]) for i in range(len(at.value)))
    if at.value is not None and not isinstance(at.value, str | int | float | bool):
        at.fail(
            "参数应为文字、数字、true/false、列表或映射",
            "a parameter must be text, a number, true/false, a list or a mapping",
        )
    return at.value


def _parse_rules(at: _At, forms: Mapping[str, Form]) -> tuple[Rule, ...]:
    groups = set(SHARED_RULE_GROUPS) | set(forms)
    _mapping(at, set(), groups)
    rules: list[Rule] = []
    seen: dict[tuple[str, str], _At] = {}
    for group in at.value:
        shared = group in SHARED_RULE_GROUPS
        items = at[group].value
        if not isinstance(items, list):
            at[group].fail("应为规则列表", "expected a list of rules")
        for index in range(len(items)):
            item = at[group][index]
            _mapping(item, {"rule", "label", "clause"}, {"fields", "params", "categories", "note", "key"})
            name = _text(item, "rule")
            ident = _key(item, "key") if item.has("key") else name
            if name not in KNOWN_RULES:
                close = difflib.get_close_matches(name, sorted(KNOWN_RULES), n=1)
                hint_zh, hint_en = (
                    (f'，是否应为 "{close[0]}"？', f'; did you mean "{close[0]}"?') if close else ("", "")
                )
                item["rule"].fail(f'未知的资格规则 "{name}"{hint_zh}', f"unknown eligibility rule{hint_en}")
            categories = tuple(forms) if shared else (group,)
            if item.has("categories"):
                if not shared:
                    item["categories"].fail(
                        "只有 common 和 consistency 中的规则可限定类别",
                        "only common and consistency rules take categories",
                    )
                categories = _texts(item, "categories")
                for position, category in enumerate(categories):
                    if category not in forms:
                        item["categories"][position].fail(
                            f'未知类别 "{category}"', f'unknown category "{category}"'
                        )
            for category in categories:
                if (ident, category) in seen:
                    first = seen[ident, category].ctx.line(seen[ident, category].path)
                    item["rule"].fail(
                        f'规则 "{ident}" 对类别 {category} 重复（首次出现在第 {first} 行；'
                        "同一规则多次使用时请以 key 区分）",
                        f'rule "{ident}" given twice for {category}, first on line {first}; '
                        "tell repeated uses apart by key",
                    )
                seen[ident, category] = item["rule"]
            fields: dict[str, str] = {}
            if item.has("fields"):
                _is_mapping(item["fields"])
                for role in item["fields"].value:
                    path = _text(item["fields"], role)
                    for category in categories:
                        _check_field_path(item["fields"][role], path, forms[category], category)
                    fields[role] = path
            params: Mapping[str, Any] = MappingProxyType({})
            if item.has("params"):
                _is_mapping(item["params"])
                params = _plain(item["params"])
            rules.append(
                Rule(
                    name=name,
                    label=_text(item, "label"),
                    clause=_text(item, "clause"),
                    group=group,
                    categories=categories,
                    fields=MappingProxyType(fields),
                    params=params,
                    note=_text(item, "note", required=False),
                    key=ident if item.has("key") else "",
                )
            )
    return tuple(rules)


def _parse_defaults(at: _At) -> Defaults:
    _mapping(
        at,
        {
            "notice_working_days",
            "experts_per_application",
            "same_city_conflict",
            "recognition_valid_years",
            "attachment_max_size_mb",
        },
        {"note", "expert_commitment"},
    )
    return Defaults(
        notice_working_days=_required_integer(at, "notice_working_days", minimum=1),
        experts_per_application=_required_integer(at, "experts_per_application", minimum=1),
        same_city_conflict=_boolean(at, "same_city_conflict", default=True),
        recognition_valid_years=_required_integer(at, "recognition_valid_years", minimum=1),
        attachment_max_size_mb=_required_integer(at, "attachment_max_size_mb", minimum=1),
        note=_text(at, "note", required=False),
        expert_commitment=_text(at, "expert_commitment", required=False),
    )


def _parse_tracking(
    at: _At, categories: list[str], *, application_year: int, attachment_size: int
) -> Tracking:
    """Parse `tracking:`: one `form` shared by every category, or one form per category key."""
    _mapping(at, {"title", "checks"}, {"form", "note", *categories})
    per_category = [key for key in categories if at.has(key)]
    if at.has("form") and per_category:
        at[per_category[0]].fail(
            "已有共用的 form，不能再为类别单独设表", "give either one shared form or one form per category"
        )
    if not at.has("form") and len(per_category) != len(categories):
        missing = next(key for key in categories if not at.has(key))
        at.at(missing).fail(
            f'缺少类别 "{missing}" 的报告表（或写一个共用的 form）',
            f'missing the report form of "{missing}" (or give one shared form)',
        )
    forms: dict[str, Form] = {}
    if at.has("form"):
        form, _ = _parse_form(at["form"], application_year=application_year, attachment_size=attachment_size)
        forms = dict.fromkeys(categories, form)
    else:
        for key in categories:
            forms[key], _ = _parse_form(
                at[key], application_year=application_year, attachment_size=attachment_size
            )

    checks = at["checks"]
    _mapping(checks, {"fields", "revenue_drop_percent", "share_drop_points"}, {"note"})
    roles = checks["fields"]
    _mapping(roles, {role for role, (_, required) in TRACKING_ROLES.items() if required}, set(TRACKING_ROLES))
    fields: dict[str, str] = {}
    for role in roles.value:
        key = _key(roles, role)
        types = TRACKING_ROLES[role][0]
        for category in categories:
            try:
                field = forms[category].field(key)
            except KeyError:
                roles[role].fail(
                    f'报告表（{category}）中没有字段 "{key}"',
                    f'the report form of {category} has no field "{key}"',
                )
            if field.type not in types:
                roles[role].fail(
                    f'字段 "{key}" 应为 {"、".join(sorted(types))} 类型',
                    f'field "{key}" must be of type {", ".join(sorted(types))}',
                )
        fields[role] = key
    drops = {}
    for name in ("revenue_drop_percent", "share_drop_points"):
        value = _number(checks, name)
        if value is None or value <= 0 or value > 100:
            checks[name].fail("应为大于 0、不大于 100 的数", "expected a number above 0 and at most 100")
        drops[name] = value
    return Tracking(
        title=_text(at, "title"),
        forms=MappingProxyType(forms),
        fields=MappingProxyType(fields),
        revenue_drop_percent=drops["revenue_drop_percent"],
        share_drop_points=drops["share_drop_points"],
        note=_text(at, "note", required=False),
    )


def _parse_similarity(at: _At) -> Similarity:
    _mapping(at, set(), {"shingle_size", "threshold", "min_length", "compare_figures", "boilerplate", "note"})
    size = _integer(at, "shingle_size", default=Similarity.shingle_size, minimum=2)
    assert size is not None
    if size > 12:
        at["shingle_size"].fail("应不大于 12", "must be at most 12")
    threshold = _number(at, "threshold")
    if threshold is None:
        threshold = Similarity.threshold
    elif threshold <= 0 or threshold >= 1:
        at["threshold"].fail("应为大于 0、小于 1 的数", "expected a number above 0 and below 1")
    min_length = _integer(at, "min_length", default=Similarity.min_length, minimum=size)
    assert min_length is not None
    return Similarity(
        shingle_size=size,
        threshold=threshold,
        min_length=min_length,
        compare_figures=_boolean(at, "compare_figures", default=True),
        boilerplate=_texts(at, "boilerplate"),
        note=_text(at, "note", required=False),
    )


def parse_spec(text: str, source_name: str) -> ProgrammeSpec:
    """Return the validated programme spec written in `text`; raise SpecError naming `source_name`."""
    ctx = _Context(source_name)
    root = _At(ctx, (), _read_yaml(text, ctx))
    _mapping(
        root,
        {"spec", "categories", "eligibility", "rubric", "quotas", "defaults"},
        {"tracking", "similarity"},
    )

    header = root["spec"]
    _mapping(header, {"key", "version", "name", "source", "application_year"}, {"note"})
    spec_key = _text(header, "key")
    if not _SPEC_KEY_RE.match(spec_key):
        header["key"].fail(
            "规格键应为小写英文、数字和连字符", "the spec key must be lower case letters, digits and hyphens"
        )
    application_year = _required_integer(header, "application_year", minimum=2000)
    defaults = _parse_defaults(root["defaults"])

    categories_at = root["categories"]
    _is_mapping(categories_at)
    if not categories_at.value:
        categories_at.fail("至少需要一个类别", "at least one category is needed")
    forms: dict[str, Form] = {}
    fields_at: dict[str, dict[str, _At]] = {}
    codes: list[tuple[str, _At]] = []
    for key in categories_at.value:
        item = categories_at[key]
        if not _KEY_RE.match(key):
            item.fail(f'类别键 "{key}" 应为小写英文', f'category key "{key}" must be lower snake_case')
        _mapping(item, {"code", "name", "form"}, {"description", "note"})
        code = _text(item, "code")
        if not _CODE_RE.match(code):
            item["code"].fail("类别代码应为 1–3 个大写字母", "a category code is 1–3 capital letters")
        codes.append((code, item["code"]))
        forms[key], fields_at[key] = _parse_form(
            item["form"], application_year=application_year, attachment_size=defaults.attachment_max_size_mb
        )
    _unique(codes, "类别代码", "category code")

    rubric_at = root["rubric"]
    _mapping(rubric_at, set(forms), set())
    quotas_at = root["quotas"]
    _mapping(quotas_at, set(forms), {"note"})
    categories = tuple(
        Category(
            key=key,
            code=_text(categories_at[key], "code"),
            name=_text(categories_at[key], "name"),
            form=forms[key],
            rubric=_parse_rubric(rubric_at[key], forms[key], fields_at[key]),
            quota=_required_integer(quotas_at, key, minimum=0),
            description=_text(categories_at[key], "description", required=False),
            note=_text(categories_at[key], "note", required=False),
        )
        for key in categories_at.value
    )
    return ProgrammeSpec(
        key=spec_key,
        version=_text(header, "version"),
        name=_text(header, "name"),
        source=_text(header, "source"),
        application_year=application_year,
        categories=categories,
        rules=_parse_rules(root["eligibility"], forms),
        defaults=defaults,
        source_name=source_name,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        note=_text(header, "note", required=False),
        quotas_note=_text(quotas_at, "note", required=False),
        tracking=(
            _parse_tracking(
                root["tracking"],
                list(forms),
                application_year=application_year,
                attachment_size=defaults.attachment_max_size_mb,
            )
            if root.has("tracking")
            else None
        ),
        similarity=_parse_similarity(root["similarity"]) if root.has("similarity") else Similarity(),
    )


def load_spec(path: str | Path) -> ProgrammeSpec:
    """Return the validated programme spec in the UTF-8 file at `path`; raise SpecError if it is not valid."""
    path = Path(path)
    # Bytes, not read_text: the digest must be of the text exactly as written, line endings included.
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            path.name, 1, "(root)", "文件不是 UTF-8 编码", f"the file is not UTF-8: {exc.reason}"
        ) from None
    return parse_spec(text, path.name)
