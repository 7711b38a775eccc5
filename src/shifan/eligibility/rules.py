"""The 申报条件 as rules: one pure function per rule name of the programme spec.

A spec (programs/*.yaml, `eligibility:`) chooses rules by name and gives each the form fields it
reads (`field`, or `field.row` for a row of a yearly table) and its parameters. Every threshold,
year, list and outcome comes from there; this module only knows how to apply them. Each function
returns a `Result` with an outcome and a plain Chinese explanation quoting the figures it used.

Outcomes: 符合 (pass), 不符合 (fail: the only outcome that blocks a submission), 请注意 (warning),
需专家判断 (judgment) and 待填写 (missing: the answers the rule needs are not there yet, so the same
rules serve as a live checklist while an application is being filled in).

Pure Python: no Django, no database. `evaluate` takes the category's form and the stored answers,
fills in the computed values (服务收入占比) and runs the rules in spec order.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from shifan.applications import answers as answer_rules
from shifan.core import reference, uscc
from shifan.programs.spec import KNOWN_RULES, Field, Form, Rule, evaluate_computed


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARNING = "warning"
    JUDGMENT = "judgment"
    MISSING = "missing"


OUTCOME_LABELS: Final[Mapping[Outcome, str]] = MappingProxyType(
    {
        Outcome.PASS: "符合",
        Outcome.FAIL: "不符合",
        Outcome.WARNING: "请注意",
        Outcome.JUDGMENT: "需专家判断",
        Outcome.MISSING: "待填写",
    }
)

# How a spec names an outcome in its parameters (debt_ratio_outcome: warning, …: needs_judgment).
_OUTCOME_NAMES: Final[Mapping[str, Outcome]] = MappingProxyType(
    {
        "pass": Outcome.PASS,
        "fail": Outcome.FAIL,
        "warning": Outcome.WARNING,
        "judgment": Outcome.JUDGMENT,
        "needs_judgment": Outcome.JUDGMENT,
        "missing": Outcome.MISSING,
    }
)
# When a rule finds several things, the most serious decides its outcome.
_SEVERITY: Final = (Outcome.FAIL, Outcome.MISSING, Outcome.JUDGMENT, Outcome.WARNING, Outcome.PASS)

_CHINESE_NUMERALS: Final = "零一两三四五六七八九十"
_UNIT_SUFFIX_RE: Final = re.compile(r"\s*[（(][^（）()]*[）)]\s*\Z")
_ISO_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_HUNDREDTH: Final = Decimal("0.01")
_MAX_LISTED: Final = 8  # missing cells named one by one in an explanation before "等"


@dataclass(frozen=True)
class Context:
    """What the rules need besides the answers: the batch's and the organisation's facts.

    `region_key` already includes a province officer's override (深汕特别合作区 counts as 珠三角).
    `credit_checks` holds officers' own checks of the credit register by rule name: True found
    clean, False found listed; a check overrides the applicant's declaration. `form` is the
    category's form, for labels and the rows of the yearly table; `evaluate` fills it in.
    """

    category: str
    application_year: int
    closing_date: datetime.date
    city_code: str
    region_key: str
    credit_code: str
    credit_checks: Mapping[str, bool] = dataclass_field(default_factory=lambda: MappingProxyType({}))
    form: Form | None = None
    # The day the application is (or was last) submitted; None reads as the closing date.
    submission_date: datetime.date | None = None


@dataclass(frozen=True)
class Result:
    """The outcome of one rule for one application, with the clause and the figures it rests on."""

    rule: str
    label: str
    clause: str
    outcome: Outcome
    explanation: str
    blocking: bool
    figures: Mapping[str, str]
    key: str = ""  # the rule's key in its category (Rule.ident)


RuleFunction = Callable[[Rule, Mapping[str, Any], Context], Result]


# --- building results -----------------------------------------------------------------------------


def _result(
    rule: Rule, outcome: Outcome, explanation: str, figures: Mapping[str, str] | None = None
) -> Result:
    """Return a rule's result; only a fail blocks a submission."""
    return Result(
        rule=rule.name,
        label=rule.label,
        clause=rule.clause,
        outcome=outcome,
        explanation=explanation,
        blocking=outcome is Outcome.FAIL,
        figures=dict(figures or {}),
        key=rule.ident,
    )


def worst(outcomes: Sequence[Outcome]) -> Outcome:
    """Return the most serious of the outcomes (fail, missing, judgment, warning, pass)."""
    return min(outcomes, key=_SEVERITY.index, default=Outcome.PASS)


# --- parameters -----------------------------------------------------------------------------------


def _param(rule: Rule, name: str) -> Any:
    """Return a parameter of the rule; raise KeyError naming the rule if the spec does not give it."""
    try:
        return rule.params[name]
    except KeyError:
        raise KeyError(
            f"资格规则 {rule.name} 缺少参数 {name}（rule {rule.name} lacks parameter {name}）"
        ) from None


def _decimal_param(rule: Rule, name: str) -> Decimal:
    """Return a numeric parameter as a Decimal (YAML and officers' corrections give int or float)."""
    value = _param(rule, name)
    if isinstance(value, bool):
        raise TypeError(f"资格规则 {rule.name} 的参数 {name} 应为数字")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise TypeError(f"资格规则 {rule.name} 的参数 {name} 应为数字") from None


def _outcome_param(rule: Rule, name: str, default: Outcome) -> Outcome:
    """Return the outcome a parameter names ("warning", "needs_judgment", …), or the default."""
    value = rule.params.get(name)
    if value is None:
        return default
    try:
        return _OUTCOME_NAMES[str(value)]
    except KeyError:
        raise ValueError(f"资格规则 {rule.name} 的参数 {name} 不是已知结果：{value}") from None


def _year(rule: Rule, context: Context) -> int:
    """Return the year a rule reads: `year: latest` (the default) is the year before the application."""
    value = rule.params.get("year", "latest")
    if value == "latest":
        return context.application_year - 1
    return int(value)


def _years(context: Context, count: int) -> list[int]:
    """Return the `count` complete years before the application year, oldest first."""
    return list(range(context.application_year - count, context.application_year))


def _table_years(rule: Rule, role: str, context: Context) -> list[int]:
    """Return the years of the yearly table a rule reads in a role: the form's, else `params.years`."""
    field = _form_field(context, _path(rule, role)[0])
    if field is not None and field.years:
        return sorted(field.years)
    return _years(context, int(rule.params.get("years", 3)))


def _path(rule: Rule, role: str) -> tuple[str, str | None]:
    """Return (field key, yearly row key or None) of the field a rule reads in a role."""
    try:
        path = rule.fields[role]
    except KeyError:
        raise KeyError(
            f"资格规则 {rule.name} 未指定字段 {role}（rule {rule.name} lacks field {role}）"
        ) from None
    key, _dot, row = path.partition(".")
    return key, row or None


# --- reading answers ------------------------------------------------------------------------------


def _as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _value(answers: Mapping[str, Any], rule: Rule, role: str, year: int | None = None) -> Any:
    """Return the stored value a rule reads in a role; for a yearly row, that of `year`."""
    key, row = _path(rule, role)
    value = answers.get(key)
    if row is None:
        return value
    return _as_dict(_as_dict(value).get(row)).get(str(year))


def _number(answers: Mapping[str, Any], rule: Rule, role: str, year: int | None = None) -> Decimal | None:
    return answer_rules.number(_value(answers, rule, role, year))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- labels from the form -------------------------------------------------------------------------


def _form_field(context: Context, key: str) -> Field | None:
    if context.form is None:
        return None
    try:
        return context.form.field(key)
    except KeyError:
        return None


def _short(label: str) -> str:
    """Return a label without its unit in brackets or a leading 其中: 其中服务收入（万元） gives 服务收入."""
    short = _UNIT_SUFFIX_RE.sub("", label) or label
    return short.removeprefix("其中") or short


def _name(context: Context, rule: Rule, role: str) -> str:
    """Return the short label of the field (or yearly row) a rule reads in a role; its key without a form."""
    key, row = _path(rule, role)
    field = _form_field(context, key)
    if field is None:
        return row or key
    if row is None:
        return _short(field.label)
    try:
        return _short(field.column(row).label)
    except KeyError:
        return row


def _unit(context: Context, rule: Rule, role: str, default: str = "") -> str:
    """Return the unit of the yearly row a rule reads in a role (万元, %), or the default."""
    key, row = _path(rule, role)
    field = _form_field(context, key)
    if field is None or row is None:
        return default
    try:
        return field.column(row).unit or default
    except KeyError:
        return default


def _option_labels(context: Context, key: str) -> dict[str, str]:
    field = _form_field(context, key)
    return dict(answer_rules.options_for(field)) if field is not None else {}


# --- writing figures ------------------------------------------------------------------------------


def _plain(amount: Decimal) -> str:
    """Return a figure with thousands separators and no needless zeros: 4,200 · 4,999.99 · -1,200."""
    if amount.is_zero():
        return "0"
    return format(amount.normalize(), ",f")


def _money(amount: Decimal, unit: str) -> str:
    return f"{_plain(amount)}{unit}"


def _share(amount: Decimal, rounding: str = ROUND_HALF_UP) -> str:
    """Return a percentage with two decimals, as the form shows computed shares: 30.00."""
    rounded = amount.quantize(_HUNDREDTH, rounding=rounding)
    return format(abs(rounded) if rounded.is_zero() else rounded, ",f")


def _chinese_count(count: int) -> str:
    """Return 1–10 in Chinese numerals as in 近两年; larger counts as digits."""
    return _CHINESE_NUMERALS[count] if 0 < count <= 10 else str(count)


def _listing(items: Sequence[str]) -> str:
    if len(items) <= _MAX_LISTED:
        return "、".join(items)
    return "、".join(items[:_MAX_LISTED]) + f"等{len(items)}项"


def _year_span(years: Sequence[int]) -> str:
    return f"{years[0]}–{years[-1]}年" if len(years) > 1 else f"{years[0]}年"


# --- dates ----------------------------------------------------------------------------------------


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the date `months` later (earlier if negative); a day the target month lacks moves on.

    A start on 29 February therefore completes a year on 1 March of a common year, and 31 January
    plus one month is 1 March: the period is only complete once the whole of that day has passed
    in every month, so the later reading is the one that never counts a period as complete too soon.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    try:
        return day.replace(year=year, month=month)
    except ValueError:
        return datetime.date(year + month // 12, month % 12 + 1, 1)


def _add_years(day: datetime.date, years: Decimal) -> datetime.date:
    """Return the date `years` later (whole months; 29 February plus a year is 1 March)."""
    months = (years * 12).to_integral_value(rounding=ROUND_CEILING)
    return _add_months(day, int(months))


def _date(value: Any) -> datetime.date | None:
    text = _text(value)
    if not _ISO_DATE_RE.match(text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


# --- 共性条件 -------------------------------------------------------------------------------------


def registered_in_guangdong(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Check the credit code and the declaration of independent legal personality.

    An invalid code or a declaration of 否 fails. A code registered outside the province (positions
    3–4 other than `province_code_prefix`) gets the outcome `code_outside_province`; a code of
    another Guangdong city than the organisation's, or a bad embedded organisation code, a warning.
    """
    stated = _text(answers.get(_path(rule, "credit_code")[0])) if "credit_code" in rule.fields else ""
    code = context.credit_code or stated
    figures = {"credit_code": code, "city_code": context.city_code}
    try:
        code = uscc.validate(code)
    except uscc.CreditCodeError as exc:
        return _result(
            rule, Outcome.FAIL, f"统一社会信用代码 {code or '（空）'} 无效：{exc.message}", figures
        )

    outcomes: list[Outcome] = []
    notes: list[str] = []
    prefix = str(_param(rule, "province_code_prefix"))
    outside = not code[2:8].startswith(prefix)
    for warning in uscc.warnings(code, context.city_code or None):
        if warning.code == "outside_guangdong":
            continue  # judged below against the spec's prefix
        outcomes.append(Outcome.WARNING)
        notes.append(warning.message.rstrip("。"))
    if outside:
        outcomes.append(_outcome_param(rule, "code_outside_province", Outcome.WARNING))
        found = [w.message for w in uscc.warnings(code, None) if w.code == "outside_guangdong"]
        notes.insert(
            0,
            found[0].rstrip("。")
            if found
            else f"代码第3–8位登记机关代码为{code[2:8]}，不以{prefix}开头，请核实注册地",
        )

    if stated and uscc.normalise(stated) != code:
        outcomes.append(Outcome.WARNING)
        notes.append(f"申报表填写的统一社会信用代码 {stated} 与单位注册的 {code} 不一致，请核实")

    declaration = answers.get(_path(rule, "declaration")[0])
    figures["declaration"] = str(declaration)
    if declaration is False:
        outcomes.append(Outcome.FAIL)
        notes.insert(0, "申报单位声明不具有独立法人资格或不在广东省行政区域内依法注册")
    elif declaration is not True:
        outcomes.append(Outcome.MISSING)
        notes.insert(0, f"请在“申报条件声明”中声明：{_name(context, rule, 'declaration')}")
    outcome = worst(outcomes)
    if outcome is Outcome.PASS:
        notes.insert(0, f"统一社会信用代码 {code} 有效，登记机关在广东省；申报单位声明具有独立法人资格")
    return _result(rule, outcome, "；".join(notes), figures)


def _own(rule: Rule, name: str) -> str:
    """Return "（本办法自定，非申报指南要求）" when the spec names the parameter the programme's own."""
    return "（本办法自定，非申报指南要求）" if name in (rule.params.get("programme_own") or ()) else ""


def sound_finances(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Refer negative net assets to the experts; flag a debt ratio above `max_debt_ratio`.

    The guide asks for 财务状况良好 without a figure: negative net assets get the outcome
    `negative_net_assets_outcome` (judgment unless the spec says otherwise), never a silent bar.
    """
    year = _year(rule, context)
    net = _number(answers, rule, "net_assets", year)
    ratio = _number(answers, rule, "debt_ratio", year)
    profit = _number(answers, rule, "net_profit", year) if "net_profit" in rule.fields else None
    bound = _decimal_param(rule, "max_debt_ratio")
    money_unit = _unit(context, rule, "net_assets", "万元")
    figures = {
        "year": str(year),
        "net_assets": "" if net is None else str(net),
        "debt_ratio": "" if ratio is None else str(ratio),
        "max_debt_ratio": str(bound),
    }
    if profit is not None:
        figures["net_profit"] = str(profit)
    negative_allowed = rule.params.get("allow_negative_net_assets", False)
    if net is not None and net < 0 and not negative_allowed:
        outcome = _outcome_param(rule, "negative_net_assets_outcome", Outcome.JUDGMENT)
        profit_text = f"，净利润 {_money(profit, money_unit)}" if profit is not None else ""
        return _result(
            rule,
            outcome,
            f"{year}年净资产 {_money(net, money_unit)}为负{profit_text}："
            "申报指南要求“财务状况良好”但未设净资产门槛，请专家结合经营情况判断"
            f"{_own(rule, 'negative_net_assets_outcome')}",
            figures,
        )
    missing = [
        _name(context, rule, role)
        for role, amount in (("net_assets", net), ("debt_ratio", ratio))
        if amount is None
    ]
    if missing:
        return _result(rule, Outcome.MISSING, f"请填写{year}年{'、'.join(missing)}", figures)
    assert net is not None
    assert ratio is not None
    own = _own(rule, "max_debt_ratio")
    if ratio > bound:
        outcome = _outcome_param(rule, "debt_ratio_outcome", Outcome.WARNING)
        return _result(
            rule,
            outcome,
            f"{year}年资产负债率 {_plain(ratio)}% > {_plain(bound)}%{own}，请评审时关注财务状况",
            figures,
        )
    return _result(
        rule,
        Outcome.PASS,
        f"{year}年净资产 {_money(net, money_unit)}，资产负债率 {_plain(ratio)}% ≤ {_plain(bound)}%{own}",
        figures,
    )


def no_major_accident(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Read the declaration that no major quality, environmental or safety accident occurred."""
    years = int(_decimal_param(rule, "years"))
    start = _add_months(context.closing_date, -12 * years)
    period = f"近{_chinese_count(years)}年（{start.isoformat()} 至 {context.closing_date.isoformat()}）"
    figures = {"from": start.isoformat(), "to": context.closing_date.isoformat()}
    declaration = answers.get(_path(rule, "declaration")[0])
    if declaration is True:
        return _result(rule, Outcome.PASS, f"申报单位声明{period}未发生重大质量、环保或安全事故", figures)
    if declaration is False:
        return _result(rule, Outcome.FAIL, f"申报单位声明{period}发生过重大质量、环保或安全事故", figures)
    return _result(rule, Outcome.MISSING, f"请在“申报条件声明”中声明{period}是否发生重大事故", figures)


def not_on_credit_blacklists(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Read the two declarations on the credit register; an officer's own check overrides them."""
    registry = str(rule.params.get("registry", "国家企业信用信息公示系统"))
    roles = ("abnormal_list", "dishonesty_list")
    declared = {role: answers.get(_path(rule, role)[0]) for role in roles}
    figures = {role: str(value) for role, value in declared.items()}
    checked = context.credit_checks.get(rule.name)
    if checked is not None:
        figures["officer_check"] = str(checked)
        if checked is False:
            return _result(
                rule,
                Outcome.FAIL,
                f"经核查{registry}，申报单位被列入经营异常名录或严重违法失信企业名单"
                "（以官员核查结果为准，不论申报单位如何声明）",
                figures,
            )
        return _result(
            rule,
            Outcome.PASS,
            f"经官员核查{registry}，申报单位未被列入经营异常名录或严重违法失信企业名单（以官员核查结果为准）",
            figures,
        )
    listed = [_name(context, rule, role) for role in roles if declared[role] is False]
    if listed:
        return _result(rule, Outcome.FAIL, f"依据申报单位声明：未声明“{'”“'.join(listed)}”", figures)
    unanswered = [_name(context, rule, role) for role in roles if declared[role] is not True]
    if unanswered:
        return _result(rule, Outcome.MISSING, f"请在“申报条件声明”中声明：{'；'.join(unanswered)}", figures)
    return _result(
        rule,
        Outcome.PASS,
        f"依据申报单位声明：未被{registry}列入经营异常名录或严重违法失信企业名单（尚未经官员核查）",
        figures,
    )


# --- 专项条件: 示范企业 ---------------------------------------------------------------------------


def manufacturing_industry(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Pass an industry within the manufacturing divisions `divisions` [first, last] of GB/T 4754."""
    first, last = (int(division) for division in _param(rule, "divisions"))
    standard = str(rule.params.get("standard", "GB/T 4754-2017"))
    span = f"《国民经济行业分类》（{standard}）第{first:02d}–{last:02d}大类"
    chosen = answer_rules.chosen(answers.get(_path(rule, "industry")[0]))
    if not chosen:
        return _result(rule, Outcome.MISSING, f"请选择{_name(context, rule, 'industry')}", {})
    code = chosen[0]
    try:
        shown = f"{code} {reference.industry(code).name}"
    except KeyError:
        shown = code
    figures = {"industry": code, "divisions": f"{first:02d}-{last:02d}"}
    within = code.isdigit() and len(code) == 2 and first <= int(code) <= last
    if within:
        return _result(rule, Outcome.PASS, f"所属行业 {shown} 属于制造业（{span}）", figures)
    return _result(rule, Outcome.FAIL, f"所属行业 {shown} 不属于制造业（{span}）", figures)


def _exact_share(answers: Mapping[str, Any], rule: Rule, context: Context, year: int) -> Decimal | None:
    """Return the share row's expression over that year's figures, unrounded, or None without the form."""
    key, row = _path(rule, "share")
    field = _form_field(context, key)
    if field is None or row is None:
        return None
    try:
        expression = field.column(row).computed
    except KeyError:
        return None
    if not expression:
        return None
    table = _as_dict(answers.get(key))
    cells = {name: _as_dict(table.get(name)).get(str(year)) for name in table}
    return evaluate_computed(expression, cells)


def service_revenue_share(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Pass a latest-year service share of at least `min_percent`; below it the experts judge.

    The share is recomputed from its expression (服务收入 ÷ 营业收入 × 100) without the form's
    rounding to two decimals, so that 19.996% (shown as 20.00% on the form) does not reach 20%;
    without the form the stored share is read.
    """
    year = _year(rule, context)
    minimum = _decimal_param(rule, "min_percent")
    share = _exact_share(answers, rule, context, year)
    if share is None:
        share = _number(answers, rule, "share", year)
    name = _name(context, rule, "share")
    if share is None:
        return _result(
            rule, Outcome.MISSING, f"请填写{year}年营业收入和服务收入，以计算{name}", {"year": str(year)}
        )
    figures = {"year": str(year), "share": str(share), "min_percent": str(minimum)}
    if share >= minimum:
        return _result(rule, Outcome.PASS, f"{year}年{name} {_share(share)}% ≥ {_plain(minimum)}%", figures)
    outcome = _outcome_param(rule, "alternative_outcome", Outcome.JUDGMENT)
    explanation = f"{year}年{name} {_share(share, ROUND_FLOOR)}% < {_plain(minimum)}%"
    alternative = _text(rule.params.get("alternative"))
    if alternative:
        explanation += f"；可依“{alternative}”由专家判断"
        if "evidence" in rule.fields:
            explanation += f"（见“{_name(context, rule, 'evidence')}”）"
    return _result(rule, outcome, explanation, figures)


def prior_year_revenue(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Pass a latest-year main business revenue of at least the region's threshold.

    The 珠三角 threshold `prd_min` applies when the organisation's region (with any override) is
    珠三角, `other_min` everywhere else.
    """
    year = _year(rule, context)
    in_prd = context.region_key == reference.PRD_REGION_KEY
    threshold = _decimal_param(rule, "prd_min" if in_prd else "other_min")
    unit = str(rule.params.get("unit") or _unit(context, rule, "revenue", "万元"))
    regions = {region.key: region.name for region in reference.regions()}
    region = regions.get(context.region_key, context.region_key)
    where = (
        f"（{region}）"
        if in_prd
        else f"（{region}，非{regions.get(reference.PRD_REGION_KEY, '珠三角')}地区）"
    )
    name = _name(context, rule, "revenue")
    revenue = _number(answers, rule, "revenue", year)
    figures = {"year": str(year), "region": context.region_key, "threshold": str(threshold)}
    if revenue is None:
        return _result(
            rule,
            Outcome.MISSING,
            f"请填写{year}年{name}（{where.strip('（）')}门槛 {_money(threshold, unit)}）",
            figures,
        )
    figures["revenue"] = str(revenue)
    if revenue >= threshold:
        return _result(
            rule,
            Outcome.PASS,
            f"{year}年{name} {_money(revenue, unit)} ≥ {_money(threshold, unit)}{where}",
            figures,
        )
    return _result(
        rule,
        Outcome.FAIL,
        f"{year}年{name} {_money(revenue, unit)} < {_money(threshold, unit)}{where}",
        figures,
    )


# --- 专项条件: 示范平台 ---------------------------------------------------------------------------


def in_operation(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Pass a platform in formal operation for at least `min_years` by the day of reference.

    `counted_to: submission_date` (the guide's 截至申报日) counts to the day the application is
    submitted (today while it is filled in); `closing_date` to the batch's closing date.

    A platform that started on 29 February completes its year on 1 March of the following year
    (see `_add_months`): a year from 2023-02-28 is reached on 2024-02-28, one from 2024-02-29 on
    2025-03-01.
    """
    years = _decimal_param(rule, "min_years")
    by_submission = rule.params.get("counted_to", "closing_date") == "submission_date"
    closing = (context.submission_date if by_submission else None) or context.closing_date
    reference_day = "申报日" if by_submission else "申报截止日"
    name = _name(context, rule, "start_date")
    start = _date(answers.get(_path(rule, "start_date")[0]))
    if start is None:
        return _result(rule, Outcome.MISSING, f"请填写{name}（如 2023-01-31）", {})
    complete = _add_years(start, years)
    figures = {
        "start_date": start.isoformat(),
        "complete_on": complete.isoformat(),
        "closing_date": closing.isoformat(),
        "counted_to": "submission_date" if by_submission else "closing_date",
    }
    if complete <= closing:
        return _result(
            rule,
            Outcome.PASS,
            f"{name} {start.isoformat()}，截至{reference_day} {closing.isoformat()} 已满{_plain(years)}年",
            figures,
        )
    return _result(
        rule,
        Outcome.FAIL,
        f"{name} {start.isoformat()}，截至{reference_day} {closing.isoformat()} 不满{_plain(years)}年"
        f"（{complete.isoformat()} 方满{_plain(years)}年）",
        figures,
    )


def shared_manufacturing_capabilities(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """For a 共享制造类 platform, check the `expected` capabilities are ticked and described.

    Other platforms pass as not concerned. A capability missing or an empty description is for the
    experts to weigh (`missing_outcome`): the clause ends in 等, so the list is not exhaustive.
    """
    mode_key = _path(rule, "mode")[0]
    when_mode = str(_param(rule, "when_mode"))
    modes = answer_rules.chosen(answers.get(mode_key))
    mode_labels = _option_labels(context, mode_key)
    mode_label = mode_labels.get(when_mode, when_mode)
    if not modes:
        return _result(rule, Outcome.MISSING, f"请选择{_name(context, rule, 'mode')}", {})
    if when_mode not in modes:
        return _result(rule, Outcome.PASS, f"不适用（非{mode_label}类）", {"mode": modes[0]})

    capabilities_key = _path(rule, "capabilities")[0]
    ticked = answer_rules.chosen(answers.get(capabilities_key))
    description = _text(answers.get(_path(rule, "description")[0]))
    expected = [str(key) for key in _param(rule, "expected")]
    figures = {
        "mode": when_mode,
        "capabilities": ",".join(ticked),
        "description": "yes" if description else "no",
    }
    if not ticked and not description:
        return _result(
            rule,
            Outcome.MISSING,
            f"请填写{_name(context, rule, 'capabilities')}和{_name(context, rule, 'description')}",
            figures,
        )
    labels = _option_labels(context, capabilities_key)
    lacking = [labels.get(key, key) for key in expected if key not in ticked]
    notes: list[str] = []
    if lacking:
        notes.append(f"未勾选：{'、'.join(lacking)}")
    if not description:
        notes.append(f"未填写{_name(context, rule, 'description')}")
    if notes:
        outcome = _outcome_param(rule, "missing_outcome", Outcome.JUDGMENT)
        return _result(rule, outcome, f"{mode_label}类平台{'；'.join(notes)}，由专家判断", figures)
    return _result(
        rule, Outcome.PASS, f"{mode_label}类平台已勾选全部{len(expected)}项能力并说明模式", figures
    )


# --- 专项条件 stated in words ------------------------------------------------------------------------


def _passage_roles(rule: Rule) -> list[str]:
    """Return the roles naming the passages that answer a condition: passage, passage_2, …, in order."""
    return sorted((role for role in rule.fields if role.startswith("passage")), key=lambda r: (len(r), r))


def stated_in_words(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Put a condition the guide states in words to the city and the experts, with its passages.

    No figure decides it, so the outcome is judgment once a passage that answers it is written.
    With a `kind` field and `when_kind`, the condition concerns only that kind (其他类 platforms):
    other kinds pass as not concerned. A `kind` without `when_kind` (the platform's type) is shown
    with the question. Empty passages, or no kind chosen, are missing.
    """
    question = _text(rule.params.get("question")) or rule.label
    figures: dict[str, str] = {"passages": ",".join(_path(rule, role)[0] for role in _passage_roles(rule))}
    kind_text = ""
    if "kind" in rule.fields:
        kind_key = _path(rule, "kind")[0]
        kinds = answer_rules.chosen(answers.get(kind_key))
        labels = _option_labels(context, kind_key)
        if not kinds:
            return _result(rule, Outcome.MISSING, f"请选择{_name(context, rule, 'kind')}", figures)
        figures["kind"] = kinds[0]
        when = rule.params.get("when_kind")
        if when is not None and str(when) not in kinds:
            shown = labels.get(str(when), str(when))
            return _result(rule, Outcome.PASS, f"不适用（非{shown}类）", figures)
        kind_text = f"{_name(context, rule, 'kind')}：{labels.get(kinds[0], kinds[0])}；"
    names = [_name(context, rule, role) for role in _passage_roles(rule)]
    written = [
        name
        for role, name in zip(_passage_roles(rule), names, strict=True)
        if _text(answers.get(_path(rule, role)[0]))
    ]
    if names and not written:
        where = "”“".join(names)
        return _result(rule, Outcome.MISSING, f"{kind_text}请在“{where}”中说明：{question}", figures)
    shown = "”“".join(written)
    return _result(
        rule,
        _outcome_param(rule, "outcome", Outcome.JUDGMENT),
        f"{kind_text}由地市和专家对照申报书判断：{question}（见“{shown}”）",
        figures,
    )


# --- consistency of the figures -------------------------------------------------------------------


def three_years_present(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Check every required input row of the yearly table is filled for each of the years.

    Computed rows are left out. Without the form, every row present in the answers is checked.
    """
    key, _row = _path(rule, "table")
    years = _years(context, int(_decimal_param(rule, "years")))
    table = _as_dict(answers.get(key))
    field = _form_field(context, key)
    if field is not None:
        rows = [(row.key, _short(row.label)) for row in field.rows if row.required and not row.computed]
    else:
        rows = [(row_key, row_key) for row_key in table]
    missing = [
        f"{year}年 {label}"
        for year in years
        for row_key, label in rows
        if not _text(_as_dict(table.get(row_key)).get(str(year)))
    ]
    title = _short(field.label) if field is not None else key
    figures = {"years": ",".join(str(year) for year in years), "missing": str(len(missing))}
    if missing:
        return _result(rule, Outcome.MISSING, f"{title}尚未填写：{_listing(missing)}", figures)
    return _result(rule, Outcome.PASS, f"{_year_span(years)}{title}已全部填写", figures)


def service_share_consistent(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Per year, fail a service revenue above operating revenue; flag a share off its two revenues."""
    years = _table_years(rule, "service_revenue", context)
    tolerance = _decimal_param(rule, "tolerance_points")
    unit = _unit(context, rule, "service_revenue", "万元")
    service_name = _name(context, rule, "service_revenue")
    operating_name = _name(context, rule, "operating_revenue")
    share_name = _name(context, rule, "share")
    outcomes: list[Outcome] = []
    notes: list[str] = []
    figures: dict[str, str] = {}
    for year in years:
        service = _number(answers, rule, "service_revenue", year)
        operating = _number(answers, rule, "operating_revenue", year)
        if service is None or operating is None:
            outcomes.append(Outcome.MISSING)
            continue
        figures[f"{year}.service_revenue"] = str(service)
        figures[f"{year}.operating_revenue"] = str(operating)
        if service > operating:
            outcomes.append(Outcome.FAIL)
            stated = f"{year}年{service_name} {_money(service, unit)}"
            notes.append(f"{stated}大于{operating_name} {_money(operating, unit)}")
            continue
        share = _number(answers, rule, "share", year)
        if share is not None and not operating.is_zero():
            expected = service / operating * 100
            if abs(share - expected) > tolerance:
                outcomes.append(Outcome.WARNING)
                notes.append(
                    f"{year}年{share_name}填写为 {_plain(share)}%，按收入计算应为 {_share(expected)}%"
                )
        outcomes.append(Outcome.PASS)
    outcome = worst(outcomes)
    if outcome is Outcome.MISSING and not notes:
        lacking = [str(year) for year in years if f"{year}.service_revenue" not in figures]
        return _result(
            rule, outcome, f"请填写{'、'.join(lacking)}年的{operating_name}和{service_name}", figures
        )
    if notes:
        return _result(rule, outcome, "；".join(notes), figures)
    return _result(
        rule, outcome, f"{_year_span(years)}{service_name}均不超过{operating_name}，占比相符", figures
    )


def debt_ratio_consistent(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Per year, flag a debt ratio off (1 − net assets ÷ total assets) × 100 by more than the tolerance.

    A year with total assets of 0 (or less) has no ratio to compare and is skipped.
    """
    years = _table_years(rule, "debt_ratio", context)
    tolerance = _decimal_param(rule, "tolerance_points")
    unit = _unit(context, rule, "total_assets", "万元")
    ratio_name = _name(context, rule, "debt_ratio")
    outcomes: list[Outcome] = []
    notes: list[str] = []
    figures: dict[str, str] = {}
    lacking: list[str] = []
    for year in years:
        total = _number(answers, rule, "total_assets", year)
        net = _number(answers, rule, "net_assets", year)
        ratio = _number(answers, rule, "debt_ratio", year)
        if total is None or net is None or ratio is None:
            outcomes.append(Outcome.MISSING)
            lacking.append(str(year))
            continue
        if total <= 0:
            outcomes.append(Outcome.PASS)
            continue
        implied = (1 - net / total) * 100
        figures[f"{year}.debt_ratio"] = str(ratio)
        figures[f"{year}.implied"] = _share(implied)
        if abs(ratio - implied) > tolerance:
            outcomes.append(_outcome_param(rule, "outcome", Outcome.WARNING))
            notes.append(
                f"{year}年{ratio_name}填写为 {_plain(ratio)}%，按资产总额 {_money(total, unit)}、"
                f"净资产 {_money(net, unit)}计算应为 {_share(implied)}%"
                f"（允许相差 {_plain(tolerance)} 个百分点）"
            )
        else:
            outcomes.append(Outcome.PASS)
    outcome = worst(outcomes)
    if notes:
        return _result(rule, outcome, "；".join(notes), figures)
    if outcome is Outcome.MISSING:
        return _result(
            rule, outcome, f"请填写{'、'.join(lacking)}年的资产总额、{ratio_name}和净资产", figures
        )
    return _result(rule, outcome, f"{_year_span(years)}{ratio_name}与资产总额、净资产相符", figures)


def figures_plausible(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Report the figures that look typed in the wrong unit, and 主营业务收入 above operating revenue.

    The findings are those shown beside the fields (`answers.figure_issues`) for the table the
    rule reads and the money fields outside it: a part of 营业收入 above it gets the outcome
    `above_operating_revenue_outcome`, every other finding `outcome` (a warning by default).
    """
    key, _row = _path(rule, "table")
    if context.form is None:
        return _result(rule, Outcome.PASS, "无表单，未核对", {})
    issues = [
        issue
        for issue in answer_rules.figure_issues(context.form, answers)
        if issue.field == key or all(row is None for _field, row, _year in issue.cells)
    ]
    doubted = [issue for issue in issues if issue.kind == "unit"]
    # 服务收入 above 营业收入 is service_share_consistent's finding; 主营业务收入 is this rule's.
    above = [issue for issue in issues if issue.kind == f"above:{answer_rules.MAIN_BUSINESS_REVENUE}"]
    outcomes = [_outcome_param(rule, "outcome", Outcome.WARNING) for _ in doubted]
    outcomes += [_outcome_param(rule, "above_operating_revenue_outcome", Outcome.FAIL) for _ in above]
    notes = [issue.message for issue in (*above, *doubted)]
    figures = {"doubted": str(len(doubted)), "above_operating_revenue": str(len(above))}
    if not notes:
        return _result(rule, Outcome.PASS, "金额均在合理范围，主营业务收入不超过营业收入", figures)
    return _result(rule, worst(outcomes), "；".join(notes), figures)


def service_breakdown_sums(rule: Rule, answers: Mapping[str, Any], context: Context) -> Result:
    """Flag a service revenue breakdown whose total differs from the year's service revenue.

    More than `tolerance_percent` % of that revenue apart gets the outcome `outcome`.
    """
    year = _year(rule, context)
    tolerance = _decimal_param(rule, "tolerance_percent")
    key, _row = _path(rule, "breakdown")
    field = _form_field(context, key)
    column = "revenue"
    if field is not None and field.columns and not any(c.key == column for c in field.columns):
        column = next((c.key for c in field.columns if c.is_numeric), field.columns[0].key)
    amounts = [
        answer_rules.number(_as_dict(entry).get(column)) for entry in _as_dict(answers.get(key)).values()
    ]
    typed = [amount for amount in amounts if amount is not None]
    service = _number(answers, rule, "service_revenue", year)
    unit = _unit(context, rule, "service_revenue", "万元")
    breakdown_name = _name(context, rule, "breakdown")
    service_name = _name(context, rule, "service_revenue")
    if not typed:
        return _result(rule, Outcome.MISSING, f"请填写{breakdown_name}", {"year": str(year)})
    total = sum(typed, Decimal(0))
    figures = {"year": str(year), "breakdown_total": str(total)}
    if service is None:
        return _result(
            rule, Outcome.MISSING, f"请填写{year}年{service_name}，以核对{breakdown_name}", figures
        )
    figures["service_revenue"] = str(service)
    difference = abs(total - service)
    allowed = abs(service) * tolerance / 100
    if difference > allowed:
        relative = f"（{_share(difference / service * 100)}%）" if not service.is_zero() else ""
        return _result(
            rule,
            _outcome_param(rule, "outcome", Outcome.WARNING),
            f"{breakdown_name}合计 {_money(total, unit)}，与{year}年{service_name} {_money(service, unit)}"
            f"相差 {_money(difference, unit)}{relative}，超过 {_plain(tolerance)}%",
            figures,
        )
    return _result(
        rule,
        Outcome.PASS,
        f"{breakdown_name}合计 {_money(total, unit)}，与{year}年{service_name} {_money(service, unit)}相符",
        figures,
    )


# --- running the rules ----------------------------------------------------------------------------

RULES: Final[dict[str, RuleFunction]] = {
    "registered_in_guangdong": registered_in_guangdong,
    "sound_finances": sound_finances,
    "no_major_accident": no_major_accident,
    "not_on_credit_blacklists": not_on_credit_blacklists,
    "manufacturing_industry": manufacturing_industry,
    "service_revenue_share": service_revenue_share,
    "prior_year_revenue": prior_year_revenue,
    "in_operation": in_operation,
    "shared_manufacturing_capabilities": shared_manufacturing_capabilities,
    "stated_in_words": stated_in_words,
    "three_years_present": three_years_present,
    "service_share_consistent": service_share_consistent,
    "debt_ratio_consistent": debt_ratio_consistent,
    "service_breakdown_sums": service_breakdown_sums,
    "figures_plausible": figures_plausible,
}
assert set(RULES) == KNOWN_RULES, "every rule the spec format knows needs a function here"


_YEAR_PLACEHOLDER: Final = "20**"


def _clause_with_years(clause: str, context: Context) -> str:
    """Return a clause with the form's year placeholders (经营指标 20**年 20**年 20**年) filled in.

    The n placeholders stand for the n complete years before the application year, oldest first.
    """
    count = clause.count(_YEAR_PLACEHOLDER)
    for year in _years(context, count):
        clause = clause.replace(_YEAR_PLACEHOLDER, str(year), 1)
    return clause


def _cells_read(rule: Rule) -> set[tuple[str, str | None]]:
    return {(key, row or None) for key, _dot, row in (path.partition(".") for path in rule.fields.values())}


def _agree_with_figures(rule: Rule, result: Result, issues: Sequence[answer_rules.FigureIssue]) -> Result:
    """Return a rule's pass as a warning when a figure it read is in doubt (consistency, unit).

    A threshold met by a figure that contradicts another (服务收入占比 108.33%, 主营业务收入 above
    营业收入) or looks typed in 元 cannot be 符合: the reviewer has to see the doubt first. Any
    other outcome stands, with the doubt added to its explanation.
    """
    if rule.group == "consistency" or result.outcome is Outcome.MISSING:
        return result
    read = _cells_read(rule)
    year = result.figures.get("year")
    found = [
        issue.message
        for issue in issues
        if any(
            (field, row) in read and (cell_year is None or year is None or str(cell_year) == year)
            for field, row, cell_year in issue.cells
        )
    ]
    if not found:
        return result
    doubt = f"所依据的数字存疑：{'；'.join(found)}"
    if result.outcome is not Outcome.PASS:  # the outcome stands; the reviewer sees why to check it
        return replace(result, explanation=f"{result.explanation}；{doubt}")
    return replace(
        result,
        outcome=Outcome.WARNING,
        explanation=f"{result.explanation}；但{doubt}。核实前不能判为符合",
        blocking=False,
    )


def evaluate(
    spec_rules: Sequence[Rule], form: Form, answers: Mapping[str, Any], context: Context
) -> list[Result]:
    """Return the result of each rule, in spec order, for stored (raw) answers of the form.

    The computed values (服务收入占比, the breakdown aligned with its service types) are filled in
    first, and the form is handed to the rules through the context for labels. A rule's pass on a
    figure the consistency checks doubt becomes a warning (`_agree_with_figures`), and the clause
    gets the real years for the form's placeholders.
    """
    computed = answer_rules.computed_answers(form, answers)
    context = replace(context, form=form)
    issues = answer_rules.figure_issues(form, answers)
    results = []
    for rule in spec_rules:
        result = _agree_with_figures(rule, RULES[rule.name](rule, computed, context), issues)
        if _YEAR_PLACEHOLDER in result.clause:
            result = replace(result, clause=_clause_with_years(result.clause, context))
        results.append(result)
    return results


def answer_keys(spec_rules: Sequence[Rule], form: Form) -> frozenset[str]:
    """Return the keys of the answers whose change may change a result of the rules.

    The fields the rules read, and what those are computed from: a computed field from the form's
    numbers (any of them, to stay on the safe side), a breakdown from its source field.
    """
    keys = {path.split(".")[0] for rule in spec_rules for path in rule.fields.values()}
    for key in list(keys):
        try:
            field = form.field(key)
        except KeyError:
            continue
        if field.computed:
            keys.update(other.key for other in form.fields() if other.is_numeric)
        if field.source_field:
            keys.add(field.source_field)
    return frozenset(keys)


def summary(results: Sequence[Result]) -> dict[Outcome, int]:
    """Return how many results have each outcome, every outcome present (0 when none)."""
    counts = dict.fromkeys(Outcome, 0)
    for result in results:
        counts[result.outcome] += 1
    return counts


__all__ = [
    "OUTCOME_LABELS",
    "RULES",
    "Context",
    "Outcome",
    "Result",
    "answer_keys",
    "evaluate",
    "summary",
]
