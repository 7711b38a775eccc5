"""Typical cases on the announced demo batch's units: published ones and a draft.

Made through the case services like the rest of the demo; the pictures are drawn here with
Pillow (a workshop, a platform screen), nothing is fetched.
"""

import io
from typing import Any

from shifan.accounts.models import User

# What each mode's case says; a unit gets the text of the first mode it declared.
TEXTS: dict[str, tuple[str, str, list[str]]] = {
    "integration_contracting": (
        "从卖设备到交钥匙工程：总集成总承包带动整线输出",
        "企业由单机销售转向“设计—制造—安装—运维”总集成总承包，"
        "三年承接整线项目 26 个，服务收入占比由 18% 提高到 41%。",
        [
            "企业原以单台设备销售为主，客户需要自行集成，交付周期长、故障责任难以界定。",
            "2021年起，企业组建总集成总承包事业部，整合工艺设计、设备制造、安装调试和运维服务，"
            "以“交钥匙工程”方式承接整线项目，并按产线运行指标与客户结算部分服务费。",
            "三年来承接整线项目 26 个，平均交付周期缩短 35%，服务收入占比由 18% 提高到 41%，"
            "带动省内 40 余家配套企业进入项目供应链。",
            "经验：以客户产线的运行效果为目标组织研发、制造和服务，用合同约定服务质量，用数据支撑持续服务。",
        ],
    ),
    "industrial_design": (
        "设计中心开放服务：工业设计带动产业链产品升级",
        "企业将内部工业设计中心对外开放，为上下游中小企业提供外观、结构和用户研究服务，"
        "三年服务企业 130 余家。",
        [
            "企业工业设计中心为省级工业设计中心，拥有设计师 60 余人。",
            "企业将设计中心对外开放，按项目为产业链上下游中小企业提供外观设计、结构设计、用户研究和设计验证服务，"
            "并共享样机快速制作平台。",
            "三年来服务企业 130 余家，设计服务收入年均增长 28%，服务企业新产品上市周期平均缩短 4 个月。",
            "经验：设计服务与制造能力结合，“设计+打样+小批量试产”一站式交付，降低中小企业创新门槛。",
        ],
    ),
    "testing_certification": (
        "检验检测能力开放共享：从自检实验室到第三方检测服务",
        "企业将自建实验室升级为获 CNAS 认可的检测中心，面向行业开放检测认证服务，年服务客户 800 余家。",
        [
            "企业原有实验室只承担本企业产品检验。",
            "企业投入 6000 万元升级实验室，取得 CNAS 认可和 CMA 资质，面向行业开放材料、可靠性和安规检测，"
            "并提供标准咨询和认证辅导。",
            "检测中心年服务客户 800 余家，检测服务收入占企业营业收入的 22%，带动区域产品合格率提高。",
        ],
    ),
    "production_finance": (
        "产融结合：设备融资租赁带动高端仪器进入中小企业",
        "企业联合金融机构为客户提供设备融资租赁和按使用付费服务，三年带动设备销售 4.2 亿元，坏账率低于 1%。",
        [
            "高端仪器单价高，中小企业一次性购置压力大。",
            "企业联合银行和融资租赁公司，推出“首付三成、按月付租”的融资租赁和按检测次数付费方案，"
            "以设备联网数据评估客户经营状况和风险。",
            "三年带动设备销售 4.2 亿元，服务客户 600 余家，坏账率低于 1%，生产性金融服务收入占比达到 15%。",
        ],
    ),
    "shared_manufacturing": (
        "共享工厂：闲置产能在线撮合，中小企业按需下单",
        "平台汇聚区域内 300 余家企业的闲置设备产能，在线撮合订单，设备平均利用率提高 20 个百分点。",
        [
            "区域内模具、注塑企业众多，淡旺季产能不均，中小企业难以承接大单。",
            "平台将入驻企业的设备和产能数字化上线，按工艺、精度和交期在线撮合订单，统一质量标准和结算。",
            "平台累计撮合订单 1.6 万笔，入驻企业设备平均利用率提高 20 个百分点。",
        ],
    ),
}
GENERIC = (
    "以服务延伸价值链：{unit}的服务型制造实践",
    "{unit}围绕{mode}拓展服务业务，服务收入占比稳步提高，形成可复制推广的经验。",
    [
        "{unit}立足制造主业，围绕客户需求拓展{mode}。",
        "企业建立专门的服务团队和数字化服务平台，按服务成效与客户结算，服务收入占比逐年提高。",
        "经验：以客户价值为中心组织研发、制造和服务，服务反哺制造，提升产品竞争力。",
    ],
)
CAPTIONS = {False: "生产车间", True: "服务平台监控中心"}


def demo_picture(seed: int, *, screen: bool, width: int = 960, height: int = 540) -> bytes:
    """Draw a small PNG: a sky, a factory with a chimney and windows, or a dashboard screen."""
    from PIL import Image, ImageDraw

    colors = [(11, 61, 145), (25, 135, 84), (200, 16, 46), (111, 66, 193)]
    accent = colors[seed % len(colors)]
    image = Image.new("RGB", (width, height), (233, 237, 244))
    draw = ImageDraw.Draw(image)
    for y in range(height // 2):  # a sky fading to the ground
        shade = 200 + int(40 * y / (height / 2))
        draw.line([(0, y), (width, y)], fill=(shade - 60, shade - 30, 255))
    if not screen:
        base = int(height * 0.45)
        draw.rectangle([80, base, width - 80, height - 60], fill=(90, 98, 112))
        for x in range(80, width - 80, 120):  # the saw-tooth roof
            draw.polygon([(x, base), (x + 120, base), (x + 120, base - 60)], fill=(120, 128, 142))
        draw.rectangle([width - 200, base - 170, width - 160, base], fill=(110, 110, 110))
        for x in range(120, width - 120, 90):
            draw.rectangle([x, base + 50, x + 50, base + 100], fill=(255, 214, 102))
        draw.rectangle([0, height - 60, width, height], fill=accent)
    else:
        draw.rectangle([60, 60, width - 60, height - 60], fill=(20, 28, 45), outline=accent, width=6)
        for index in range(8):  # a bar chart on the screen
            top = 140 + (index * 37 + seed * 23) % 220
            draw.rectangle([110 + index * 90, top, 160 + index * 90, height - 110], fill=accent)
        draw.line([(110, 130), (width - 110, 130)], fill=(200, 200, 200), width=2)
    output = io.BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()


def load_cases_stage(province: User, batch_name: str) -> None:
    """Write three cases on the announced batch's units and publish two; the third stays a draft."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shifan.cases import services
    from shifan.cases.models import TypicalCase
    from shifan.cases.modes import declared_mode, mode_choices
    from shifan.publicity.models import DemonstrationUnit

    units = list(
        DemonstrationUnit.objects.filter(announcement__batch__name=batch_name)
        .select_related("announcement__batch", "application")
        .order_by("category", "position")
    )
    if not units or TypicalCase.objects.filter(unit__in=units).exists():
        return
    modes = mode_choices(units[0].announcement.batch)
    labels = dict(modes)
    used: set[str] = set()
    for index, unit in enumerate(units[:3]):
        mode = declared_mode(unit.application.answers, modes)
        if not mode or mode in used:  # one case a mode, so the library's filter shows several
            mode = next(key for key in [*TEXTS, *labels] if key not in used)
        used.add(mode)
        title, summary, paragraphs = TEXTS.get(mode, GENERIC)
        values: dict[str, Any] = {"unit": unit.unit_name, "mode": labels[mode]}
        case = services.create_case(
            actor=province,
            unit=unit,
            title=title.format(**values),
            summary=summary.format(**values),
            mode=mode,
            body="\n".join(paragraph.format(**values) for paragraph in paragraphs),
        )
        for number in range(2 if index < 2 else 1):
            screen = (index + number) % 2 == 1
            services.add_picture(
                actor=province,
                case=case,
                uploaded=SimpleUploadedFile(
                    f"案例图片{number + 1}.png", demo_picture(index * 2 + number, screen=screen)
                ),
                caption=f"{unit.unit_name}{CAPTIONS[screen]}",
            )
        if index < 2:
            services.publish_case(actor=province, case=case)
