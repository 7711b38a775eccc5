"""Complete, consistent answers for a form, used by the demo data and by the tests."""

import hashlib
import random
from typing import Any

from shifan.applications import answers as answer_rules
from shifan.programs.spec import Column, Field, Form

TEXTS = {
    "main_business": "智能装备研发、制造及全生命周期运维服务",
    "legal_representative": "陈建华",
    "contact_title": "战略发展部部长",
    "responsible_person": "陈建华",
    "platform_name": "湾区协同制造云平台",
    "operator_name": "湾区协同制造科技有限公司",
    "name": "广东省服务型制造示范项目",
    "issuer": "广东省工业和信息化厅",
    "number": "T/GDMA 012-2023",
}
# Three years of figures grow towards the latest year; ratios stay consistent in every year.
GROWTH = ("0.85", "0.92", "1")
YEARLY = {
    "total_assets": "20000",
    "debt_ratio": "40",  # 20000 × (1 − 40%) = 12000, the net assets
    "net_assets": "12000",
    "operating_revenue": "10000",
    "service_revenue": "3000",
    "net_profit": "800",
    "energy_intensity": "0.12",
    "rd_intensity": "4.5",
    "rd_staff_share": "18",
    "qualified_staff_share": "35",
    "investment_share": "60",
    "main_business_revenue": "9000",
}


def simple_value(column: Column | Field, index: int = 0) -> Any:
    kind = column.type
    if kind in {"integer"}:
        low = int(column.min) if column.min is not None else 0
        return str(max(low, 2020 if "year" in column.key else 10))
    if kind in {"money", "decimal", "percent"}:
        return YEARLY.get(column.key, {"money": "500", "decimal": "12", "percent": "25"}[kind])
    if kind == "date":
        return "2023-01-15"
    if kind == "choice":
        options = (
            answer_rules.options_for(column)
            if isinstance(column, Field)
            else [(o.key, o.label) for o in column.options]
        )
        plain = [key for key, _label in options if not _is_other(column, key)]
        key = plain[index % len(plain)]
        return {"selected": key, "other": {}} if isinstance(column, Field) else key
    if kind == "yesno":
        return True
    if kind == "credit_code":
        return "91440101MA5CJQ4N59"
    if kind == "phone":
        return "020-83133359"
    if kind == "email":
        return "contact@example.com"
    if kind == "url":
        return "https://platform.example.com"
    text = TEXTS.get(column.key, f"{column.label}示例")
    return text[: column.max_length] if column.max_length else text


def _grown(value: str, kind: str, growth: str, scale: str = "1") -> str:
    if kind != "money" or not value:
        return value
    from decimal import Decimal

    return format((Decimal(value) * Decimal(growth) * Decimal(scale)).quantize(Decimal("1")), "f")


# A unit's size relative to the sample figures: every money figure is multiplied by it, so that
# ratios (the debt ratio, the service share) stay as they are and every product is whole.
SCALES = tuple(f"{1 + step / 10_000:.4f}" for step in range(30_000))  # 1.0000 … 3.9999


def voice_scale(voice: str) -> str:
    if not voice:
        return "1"
    return SCALES[int.from_bytes(hashlib.sha256(f"scale|{voice}".encode()).digest()[:4], "big") % len(SCALES)]


def _is_other(column: Any, key: str) -> bool:
    return any(option.key == key and option.other for option in getattr(column, "options", ()))


def written_text(field: Field, voice: str = "") -> str:
    """Return a plausible written section answering the outline row (内容要点).

    Without a `voice` every call gives the same text. With one (the organisation's name and the
    batch, in the demo), the section is the unit's own: its sentences drawn from the lists below
    by a generator seeded with the voice and the field, so that two demo units do not read as
    copies of each other to the similarity check (shifan.similarity)."""
    if voice:
        return _voiced_text(field, voice)
    paragraphs = [
        f"一、总体情况。围绕“{field.label}”，本单位{field.guidance.rstrip('。')}。近三年持续加大投入，"
        "建立了覆盖研发设计、生产制造、交付运维的服务体系，服务收入占营业收入的比重由18%提高到30%。",
        "二、主要做法。一是健全组织保障，成立服务型制造推进小组，由总经理牵头；二是完善服务流程，"
        "形成需求调研、方案设计、交付实施、运维评价的闭环；三是推进数字化，建设设备远程运维平台，"
        "接入设备超过3000台，故障响应时间缩短40%。",
        "三、取得成效。服务业务带动产品附加值提升，客户续约率达到85%，相关经验在行业协会交流推广。",
    ]
    if field.evidence:
        paragraphs.append(f"四、佐证材料。附{field.evidence}。")
    return "\n\n".join(paragraphs)


PRODUCTS = (
    "数控机床",
    "注塑装备",
    "工业机器人",
    "智能电表",
    "陶瓷卫浴",
    "家用空调",
    "锂电池模组",
    "精密模具",
    "显示模组",
    "医疗器械",
    "纺织面料",
    "五金工具",
    "电梯",
    "新能源客车",
    "家具",
    "食品包装机械",
)
# A unit's sentence: an opening, the unit's product, an action on a service, and a figure with its
# measure. Two units' sections share a five-character run only where both drew the same neighbours.
OPENINGS = (
    "近年来，",
    "2021年以来，",
    "在此基础上，",
    "与此同时，",
    "针对客户痛点，",
    "围绕转型目标，",
    "按照三年规划，",
    "结合行业特点，",
    "面向省内外客户，",
    "通过持续投入，",
    "去年，",
    "今年上半年，",
)
LINKS = ("公司围绕", "企业针对", "本单位结合", "我们依托", "公司面向", "团队聚焦", "企业为", "公司借助")
ACTIONS = ("建成", "完善", "上线", "推广", "升级", "组建", "试点", "搭建", "优化", "扩大", "新设", "整合")
SERVICES = (
    "设备远程运维平台",
    "备件共享中心",
    "客户服务中心",
    "联合实验室",
    "检测认证服务",
    "融资租赁业务",
    "总集成总承包业务",
    "节能诊断服务",
    "个性化定制产线",
    "供应链管理服务",
    "在线培训课程",
    "全生命周期管理系统",
    "共享制造工厂",
    "工业设计中心",
    "质量追溯系统",
    "以旧换新业务",
)
MEASURES = (
    ("服务收入达到", "万元"),
    ("签约客户", "家"),
    ("接入设备", "台"),
    ("故障响应时间缩短", "%"),
    ("客户满意度达到", "%"),
    ("服务合同", "份"),
    ("培训技术人员", "人次"),
    ("单位能耗下降", "%"),
    ("交付周期缩短", "天"),
    ("带动配套企业", "家"),
    ("服务毛利率提高", "个百分点"),
    ("续约率达到", "%"),
)
HEADINGS = ("一、总体情况。", "二、主要做法。", "三、取得成效。")


def _voiced_text(field: Field, voice: str) -> str:
    seed = int.from_bytes(hashlib.sha256(f"{voice}|{field.key}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    product = PRODUCTS[int.from_bytes(hashlib.sha256(voice.encode()).digest()[:4], "big") % len(PRODUCTS)]

    def sentence() -> str:
        measure, unit = rng.choice(MEASURES)
        figure = rng.randint(5, 95) if unit in {"%", "个百分点", "天", "个", "项"} else rng.randint(12, 9000)
        return (
            f"{rng.choice(OPENINGS)}{rng.choice(LINKS)}{product}{rng.choice(ACTIONS)}{rng.choice(SERVICES)}，"
            f"{measure}{figure}{unit}。"
        )

    paragraphs = [heading + "".join(sentence() for _ in range(rng.randint(3, 4))) for heading in HEADINGS]
    if field.evidence:
        paragraphs.append(f"四、佐证材料。附{field.evidence}。")
    return "\n\n".join(paragraphs)


def complete_answers(form: Form, voice: str = "") -> dict[str, Any]:
    """Return answers to every field. With a `voice` (the organisation's name) the written sections
    and the money figures are the unit's own (`written_text`, `voice_scale`); without one, the same
    for every call."""
    scale = voice_scale(voice)
    answers: dict[str, Any] = {}
    for field in form.fields():
        kind = field.type
        if kind == "attachments":
            continue
        if kind == "longtext":
            answers[field.key] = written_text(field, voice)
        elif kind == "multichoice":
            options = [key for key, _label in answer_rules.options_for(field) if not _is_other(field, key)]
            answers[field.key] = {"selected": options[:2], "other": {}}
        elif kind == "confirm":
            answers[field.key] = True
        elif kind == "table":
            count = max(field.min_rows, 1)
            answers[field.key] = [
                {column.key: simple_value(column, row) for column in field.columns if not column.computed}
                for row in range(count)
            ]
            for column in field.columns:
                if column.sum_max is not None:
                    for row in answers[field.key]:
                        row[column.key] = str(column.sum_max / count)
        elif kind == "yearly":
            answers[field.key] = {
                row.key: {
                    str(year): _grown(simple_value(row), row.type, growth, scale)
                    for year, growth in zip(field.years, GROWTH, strict=False)
                }
                for row in field.rows
                if not row.computed
            }
        elif kind == "service_revenue_breakdown":
            continue  # filled after the service types below
        else:
            answers[field.key] = simple_value(field)
    for field in form.fields():
        if field.type == "service_revenue_breakdown":
            chosen = answer_rules.selected(answers.get(field.source_field or "")) or []
            share = str(int(YEARLY["service_revenue"]) * float(scale) / max(len(chosen), 1))
            answers[field.key] = {key: {column.key: share for column in field.columns} for key in chosen}
    return answers
