"""Load the demo data through the same services real users go through, so the audit trail,
warnings and permissions in the demo are the real ones. Running it twice changes nothing."""

from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from shifan.accounts import organisation_changes, services, verification
from shifan.accounts.models import ExpertiseField, Organisation, OrganisationNature, Role, User
from shifan.core import reference, uscc

DEMO_PASSWORD = "Shifan-Demo-2024"
DEMO_DOMAIN = "shifan.example"

ENTERPRISE_TRADES = [
    "精工机械",
    "智能家电",
    "新材料科技",
    "电子信息",
    "医疗器械",
    "汽车零部件",
    "服装科技",
    "食品科技",
    "陶瓷建材",
    "电气设备",
    "智能装备",
    "精密模具",
    "照明科技",
    "家具制造",
    "化工科技",
    "包装印刷",
    "五金制品",
    "船舶装备",
    "玩具文创",
    "新能源科技",
    "仪器仪表",
]
PLATFORM_TRADES = [
    ("工业互联网平台", OrganisationNature.ENTERPRISE),
    ("共享制造服务", OrganisationNature.ENTERPRISE),
    ("供应链协同服务", OrganisationNature.ENTERPRISE),
    ("检验检测中心", OrganisationNature.INSTITUTION),
    ("工业设计促进会", OrganisationNature.SOCIAL),
    ("产业服务平台", OrganisationNature.ENTERPRISE),
    ("远程运维服务", OrganisationNature.ENTERPRISE),
]
PLATFORM_SUFFIX = {
    OrganisationNature.ENTERPRISE: "有限公司",
    OrganisationNature.INSTITUTION: "",
    OrganisationNature.SOCIAL: "",
}
AUTHORITY_FOR_NATURE = {
    OrganisationNature.ENTERPRISE: "91",
    OrganisationNature.INSTITUTION: "12",
    OrganisationNature.SOCIAL: "51",
}
EXPERTS = [
    (
        "周建国",
        "华南理工大学",
        "12440000455416093Y",
        "440100",
        "教授",
        ["工业设计服务", "定制化服务", "制造业"],
    ),
    ("吴敏", "广东工业大学", "12440000455855011D", "440100", "教授", ["供应链管理", "共享制造", "平台经济"]),
    (
        "郑海涛",
        "深圳市标准技术研究院",
        "12440300455755573A",
        "440300",
        "高级工程师",
        ["检验检测认证", "绿色制造服务"],
    ),
    (
        "孙丽娟",
        "广东省社会科学院",
        "12440000455859231B",
        "440100",
        "研究员",
        ["生产性金融服务", "财务与投融资"],
    ),
    (
        "何志强",
        "佛山科学技术学院",
        "12440600455950178C",
        "440600",
        "副教授",
        ["全生命周期管理", "数字化转型", "制造业"],
    ),
    ("冯雪梅", "汕头大学", "12440000455860122E", "440500", "教授", ["总集成总承包", "平台经济"]),
    (
        "许文斌",
        "广东省电子信息行业协会",
        "51440000502381002F",
        "440100",
        "高级经济师",
        ["数字化转型", "平台经济"],
    ),
    (
        "曾晓东",
        "中山大学",
        "12100000455354420G",
        "440100",
        "教授",
        ["工业设计服务", "财务与投融资", "制造业"],
    ),
    (
        "黄志强",
        "珠海市工业设计协会",
        "51440400MJL000017X",
        "440400",
        "高级工程师",
        ["工业设计服务", "定制化服务"],
    ),
    ("何丽君", "惠州学院", "12441300455900215K", "441300", "副教授", ["供应链管理", "数字化转型", "制造业"]),
    (
        "梁文彬",
        "中山市质量计量监督检测所",
        "12442000455000318P",
        "442000",
        "高级工程师",
        ["检验检测认证", "全生命周期管理"],
    ),
    ("罗嘉欣", "江门职业技术学院", "12440700455000413Q", "440700", "副教授", ["绿色制造服务", "制造业"]),
    (
        "邓国栋",
        "广东海洋大学",
        "12440800455000519R",
        "440800",
        "教授",
        ["共享制造", "平台经济", "生产性金融服务"],
    ),
    (
        "冯秀英",
        "韶关学院",
        "12440200455000614S",
        "440200",
        "教授",
        ["总集成总承包", "平台经济", "财务与投融资"],
    ),
]


@dataclass
class DemoAccount:
    role: str
    email: str
    name: str
    note: str


def _email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def _make_demo(user: User) -> None:
    user.set_password(DEMO_PASSWORD)
    user.is_demo = True
    user.save(update_fields=["password", "is_demo"])


def _ensure_user(email: str, **fields: object) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, DEMO_PASSWORD, is_demo=True, **fields)
    return user


def _code(authority: str, area: str, serial: int) -> str:
    body = f"MA{serial:05d}" + "X"  # eight characters: MA + five digits + X
    return uscc.compose(authority=authority, area=area, body=body)


def _register(
    *,
    name: str,
    code: str,
    nature: str,
    city: reference.City,
    county_code: str,
    admin_local: str,
    admin_name: str,
    verified: bool = True,
) -> Organisation:
    """Register an organisation as its administrator would, the mailed link opened, its documents
    handed in and, unless `verified` is False, verified by its city's officer."""
    organisation = Organisation.objects.filter(credit_code=code).first()
    if organisation is not None:
        return organisation
    membership = services.register_organisation(
        name=name,
        credit_code=code,
        nature=nature,
        city_code=city.code,
        county_code=county_code,
        address=f"广东省{city.name}{reference.county(county_code).name}示范路{len(name)}号",
        contact_name=admin_name,
        contact_phone=f"138{int(city.code) % 100000:05d}{len(name) % 1000:03d}",
        contact_email=_email(admin_local),
        admin_name=admin_name,
        admin_email=_email(admin_local),
        admin_phone=f"139{int(city.code) % 100000:05d}{len(name) % 1000:03d}",
        admin_password=DEMO_PASSWORD,
    )
    admin = services.verify_email(token=services.email_verification_token(membership.user))
    _make_demo(admin)
    organisation = verification.hand_in_documents(
        actor=admin,
        organisation=membership.organisation,
        licence=SimpleUploadedFile("营业执照.pdf", DEMO_PDF),
        authorisation=SimpleUploadedFile("授权书.pdf", DEMO_PDF),
    )
    if verified:
        verification.decide_verification(
            actor=User.objects.get(email=_email(city.slug)), organisation=organisation, decision="verify"
        )
    return organisation


@transaction.atomic
def load_demo() -> list[DemoAccount]:
    """Create (or find) the demo accounts and organisations; return the accounts to print."""
    accounts: list[DemoAccount] = []
    province = _ensure_user(
        _email("province"), name="林晓华", role=Role.PROVINCE_OFFICER, phone="020-83130000"
    )
    accounts.append(
        DemoAccount("省工信厅", province.email, province.name, "全省单位、官员与专家账号、审计记录")
    )

    for city in reference.cities():
        officer = _ensure_user(
            _email(city.slug),
            name=f"{city.short_name}工信局审核员",
            role=Role.CITY_OFFICER,
            city_code=city.code,
        )
        accounts.append(
            DemoAccount(f"地市工信局（{city.name}）", officer.email, officer.name, "本市注册单位")
        )

    for number, (name, employer, employer_code, city_code, title, fields) in enumerate(EXPERTS, start=1):
        email = _email(f"expert{number:02d}")
        if not User.objects.filter(email=email).exists():
            profile = services.create_expert(
                actor=province,
                name=name,
                email=email,
                phone=f"1370000{number:04d}",
                employer=employer,
                employer_credit_code=uscc.compose(
                    authority=employer_code[:2], area=employer_code[2:8], body=employer_code[8:16]
                ),
                city_code=city_code,
                title=title,
                expertise=[field for field in fields if field in ExpertiseField.values],
                industries=["34", "35", "39"] if "制造业" in fields else [],
            )
            _make_demo(profile.user)
        accounts.append(DemoAccount("评审专家", email, name, employer))

    for index, city in enumerate(reference.cities()):
        county = reference.counties(city.code)[0]
        trade = ENTERPRISE_TRADES[index % len(ENTERPRISE_TRADES)]
        _register(
            name=f"{city.short_name}{trade}股份有限公司",
            code=_code("91", city.code, 10000 + index),
            nature=OrganisationNature.ENTERPRISE,
            city=city,
            county_code=county.code,
            admin_local=f"e-{city.slug}",
            admin_name=f"{city.short_name}企业申报人",
        )
        platform_trade, nature = PLATFORM_TRADES[index % len(PLATFORM_TRADES)]
        _register(
            name=f"{city.short_name}{platform_trade}{PLATFORM_SUFFIX[nature]}",
            code=_code(AUTHORITY_FOR_NATURE[nature], city.code, 20000 + index),
            nature=nature,
            city=city,
            county_code=reference.counties(city.code)[-1].code,
            admin_local=f"p-{city.slug}",
            admin_name=f"{city.short_name}平台申报人",
        )
    accounts.append(
        DemoAccount(
            "申报单位（每市一家企业）",
            _email("e-guangzhou"),
            "广州企业申报人",
            "填写中的申报书；e-<城市拼音>@…",
        )
    )
    accounts.append(
        DemoAccount(
            "申报单位（每市一家平台）",
            _email("p-shantou"),
            "汕头平台申报人",
            "已提交的申报书；p-<城市拼音>@…",
        )
    )

    _load_edge_cases(province)
    accounts.extend(_load_verification_states())
    load_demo_applications(province)
    _load_organisation_change()
    return accounts


def _load_organisation_change() -> None:
    """A platform with a submitted application asks the province to approve its new name."""
    admin = User.objects.get(email=_email("p-shantou"))
    organisation = admin.membership.organisation
    if organisation.changes.exists() or not organisation_changes.numbers_in_process(organisation):
        return
    services.edit_organisation(
        actor=admin,
        organisation=organisation,
        changes={"name": organisation.name.replace("汕头", "汕头市", 1)},
        change_reason="已在市场监督管理部门办理名称变更登记（附新营业执照），请核准。",
    )


def _load_edge_cases(province: User) -> None:
    """Organisations whose codes or regions a reviewer must look at twice."""
    shenzhen, meizhou, shanwei = reference.city("440300"), reference.city("441400"), reference.city("441500")
    # Registered in Beijing, operating in Shenzhen: accepted with a warning for reviewers.
    _register(
        name="深圳北辰智能制造有限公司",
        code=_code("91", "110108", 30001),
        nature=OrganisationNature.ENTERPRISE,
        city=shenzhen,
        county_code=reference.counties("440300")[1].code,
        admin_local="e-shenzhen-beijing-code",
        admin_name="深圳北辰申报人",
    )
    # An old area code (441421, the former 梅县) stays valid forever.
    _register(
        name="梅州客都电子有限公司",
        code=_code("91", "441421", 30002),
        nature=OrganisationNature.ENTERPRISE,
        city=meizhou,
        county_code=reference.counties("441400")[0].code,
        admin_local="e-meizhou-old-code",
        admin_name="梅州客都申报人",
    )
    # 深汕特别合作区: in 汕尾, run by 深圳, counted in the 珠三角 by the province.
    shenshan = _register(
        name="深汕湾智能装备有限公司",
        code=_code("91", "441500", 30003),
        nature=OrganisationNature.ENTERPRISE,
        city=shanwei,
        county_code=reference.counties("441500")[0].code,
        admin_local="e-shenshan",
        admin_name="深汕湾申报人",
    )
    if not shenshan.region_override:
        services.override_region(
            actor=province,
            organisation=shenshan,
            region_key=reference.PRD_REGION_KEY,
            reason="位于深汕特别合作区，由深圳市管理，按珠三角地区执行主营业务收入门槛。",
        )
    # A second member in one organisation, to show membership management.
    guangzhou = Organisation.objects.get(credit_code=_code("91", "440100", 10000))
    if not User.objects.filter(email=_email("e-guangzhou-2")).exists():
        admin = guangzhou.memberships.get(is_admin=True).user
        invitation = services.invite_member(
            actor=admin, organisation=guangzhou, email=_email("e-guangzhou-2"), name="广州企业申报人二"
        )
        membership = services.accept_invitation(
            invitation=invitation, name="广州企业申报人二", phone="13900001111", password=DEMO_PASSWORD
        )
        _make_demo(membership.user)


def _load_verification_states() -> list[DemoAccount]:
    """An organisation waiting for 广州's verification, and a claim on its code by another company."""
    guangzhou = reference.city("440100")
    pending = _register(
        name="广州穗联精密制造有限公司",
        code=_code("91", "440100", 40001),
        nature=OrganisationNature.ENTERPRISE,
        city=guangzhou,
        county_code=reference.counties("440100")[2].code,
        admin_local="e-guangzhou-pending",
        admin_name="穗联申报人",
        verified=False,
    )
    claimant = _email("claim-guangzhou")
    if not pending.claims.filter(claimant_email=claimant).exists():
        verification.file_claim(
            credit_code=pending.credit_code,
            organisation_name="广州穗联精密制造有限公司",
            claimant_name="何真",
            claimant_email=claimant,
            claimant_phone="13902220001",
            statement="该代码为本公司所有，现注册人“穗联申报人”并非本公司员工，本公司未授权其注册。"
            "可致电本公司办公室 020-81110000 核实。",
            licence=SimpleUploadedFile("营业执照.pdf", DEMO_PDF),
            authorisation=SimpleUploadedFile("授权书.pdf", DEMO_PDF),
        )
    return [
        DemoAccount(
            "申报单位（待核验）",
            _email("e-guangzhou-pending"),
            "穗联申报人",
            "待广州核验，可填写不可提交；其代码另有认领申请",
        )
    ]


# A batch open now, and applications in the states the forms stage knows -------------------

DEMO_BATCH_NAME = "2024年广东省服务型制造示范征集（演示）"
# A minimal valid PDF: what a scanned, sealed page (commitment, recommendation letter) stands in for.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def complete_application(application: Any, user: User, overrides: dict[str, Any] | None = None) -> None:
    """Fill an application with the sample answers and any file the spec requires."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shifan.applications import services as application_services
    from shifan.applications.answers import prefill_answers
    from shifan.demo.answers import complete_answers

    # What the organisation's record pre-fills (name, code, 苏区/老区, contact) wins over samples.
    prefilled = prefill_answers(application.form, application.organisation)
    answers = {
        **complete_answers(application.form, f"{application.organisation.name}|{application.batch_id}"),
        **prefilled,
        **(overrides or {}),
    }
    application_services.save_answers(
        actor=user, application=application, base_version=application.version, values=answers
    )
    application.refresh_from_db()
    for form_field in application.form.fields():
        if form_field.type == "attachments" and form_field.required:
            application_services.add_attachment(
                actor=user,
                application=application,
                field_key=form_field.key,
                uploaded=SimpleUploadedFile("佐证材料.pdf", DEMO_PDF),
                title=f"{form_field.label}佐证材料",
            )


def submit_with_sealed_scan(application: Any, user: User) -> Any:
    """Submit, then upload the scan of the commitment page printed from the submitted book."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shifan.applications import services as application_services
    from shifan.applications.sealed_scans import upload_sealed_scan

    snapshot = application_services.submit_application(actor=user, application=application)
    application.refresh_from_db()
    upload_sealed_scan(
        actor=user, application=application, uploaded=SimpleUploadedFile("盖章承诺页.pdf", DEMO_PDF)
    )
    return snapshot


def load_demo_applications(province: User) -> None:
    """Open the demo batch and put applications in draft, submitted and withdrawn states."""
    from datetime import timedelta

    from django.utils import timezone

    from shifan.applications import services as application_services
    from shifan.applications.answers import prefill_answers
    from shifan.applications.models import Application
    from shifan.demo.answers import complete_answers
    from shifan.programs import services as batch_services
    from shifan.programs.models import Batch
    from shifan.programs.registry import spec_file

    batch = Batch.objects.filter(name=DEMO_BATCH_NAME).first()
    if batch is None:
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        batch = batch_services.open_batch(
            actor=province,
            spec_file=spec_file("guangdong-2024.yaml"),
            name=DEMO_BATCH_NAME,
            opens_at=now - timedelta(days=14),
            closes_at=now + timedelta(days=30),
            city_deadline=now + timedelta(days=45),
        )
    if Application.objects.filter(batch=batch).exists():
        return

    def admin_of(slug: str) -> User:
        return User.objects.get(email=_email(slug))

    # 深圳 and 佛山 enterprises, 汕头 and 湛江 platforms: complete and submitted.
    for slug, category in [
        ("e-shenzhen", "enterprise"),
        ("e-foshan", "enterprise"),
        ("p-shantou", "platform"),
        ("p-zhanjiang", "platform"),
    ]:
        user = admin_of(slug)
        application = application_services.start_application(actor=user, batch=batch, category=category)
        complete_application(application, user)
        submit_with_sealed_scan(application, user)
    # 东莞: submitted, then withdrawn to add material.
    user = admin_of("e-dongguan")
    application = application_services.start_application(actor=user, batch=batch, category="enterprise")
    complete_application(application, user)
    submit_with_sealed_scan(application, user)
    application_services.withdraw_application(
        actor=user, application=application, reason="补充佐证材料后重新提交"
    )
    # 揭阳: the sealed page scanned from the first submission, then withdrawn, corrected and
    # submitted again without a new scan: the city sees that the scan no longer matches.
    user = admin_of("e-jieyang")
    application = application_services.start_application(actor=user, batch=batch, category="enterprise")
    complete_application(application, user)
    submit_with_sealed_scan(application, user)
    application_services.withdraw_application(actor=user, application=application, reason="更正主营业务描述")
    application.refresh_from_db()
    application_services.save_answers(
        actor=user,
        application=application,
        base_version=application.version,
        values={"main_business": f"{application.answers['main_business']}，以及设备远程运维服务"},
    )
    application.refresh_from_db()
    application_services.submit_application(actor=user, application=application)
    # 广州: a draft half filled in, by two members (see the revisions).
    user = admin_of("e-guangzhou")
    application = application_services.start_application(actor=user, batch=batch, category="enterprise")
    full = {
        **complete_answers(application.form, f"{application.organisation.name}|{application.batch_id}"),
        **prefill_answers(application.form, application.organisation),
    }
    first_half = {
        key: full[key]
        for key in (
            "registration_type",
            "revolutionary_area",
            "registered_capital",
            "main_business",
            "industry",
            "legal_representative",
            "operating",
        )
    }
    application_services.save_answers(
        actor=user, application=application, base_version=application.version, values=first_half
    )
    colleague = User.objects.get(email=_email("e-guangzhou-2"))
    application.refresh_from_db()
    application_services.save_answers(
        actor=colleague,
        application=application,
        base_version=application.version,
        values={"intro": full["intro"]},
    )
    # 汕头 enterprise and 广州 platform: just started.
    for slug, category in [("e-shantou", "enterprise"), ("p-guangzhou", "platform")]:
        application_services.start_application(actor=admin_of(slug), batch=batch, category=category)
    load_demo_reviews(province, batch)

    from shifan.demo.publicity_stage import load_publicity_stage
    from shifan.demo.review_stage import load_review_stage

    load_review_stage(province)
    load_publicity_stage(province)

    from shifan.demo.proposed_stage import load_proposed_stage

    load_proposed_stage(province)

    from shifan.demo.cases_stage import load_cases_stage
    from shifan.demo.publicity_stage import ANNOUNCED_BATCH_NAME

    load_cases_stage(province, ANNOUNCED_BATCH_NAME)

    from shifan.demo.tracking_stage import load_tracking_stage

    load_tracking_stage(province, ANNOUNCED_BATCH_NAME)


def load_demo_reviews(province: User, batch: Any) -> None:
    """City and provincial decisions on the submitted demo applications."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shifan.applications.models import Application
    from shifan.reviews import services as reviews

    def application_of(slug: str) -> Any:
        return Application.objects.get(batch=batch, organisation__memberships__user__email=_email(slug))

    def officer(city_slug: str) -> User:
        return User.objects.get(email=_email(city_slug))

    # 深圳: recommended, set sent with the sealed letter, accepted by the province.
    shenzhen = officer("shenzhen")
    reviews.recommend_application(
        actor=shenzhen,
        application=application_of("e-shenzhen"),
        opinion="该企业服务收入占比逐年提高，远程运维服务模式成熟，经复核材料真实，同意推荐。",
        truthfulness_confirmed=True,
    )
    reviews.upload_letter(
        actor=shenzhen, batch=batch, uploaded=SimpleUploadedFile("深圳市推荐函.pdf", DEMO_PDF)
    )
    reviews.submit_city_set(actor=shenzhen, batch=batch)
    reviews.accept_application(actor=province, application=application_of("e-shenzhen"))
    # 佛山: returned for revision with a comment beside one field.
    reviews.return_application(
        actor=officer("foshan"),
        application=application_of("e-foshan"),
        reason="请补充近三年服务收入的佐证材料，并细化典型案例。",
        field_comments={"typical_cases": "请补充至少一个完整的服务项目案例，包括收费方式。"},
    )
    # 汕头: the platform recommended, the city's set not sent yet.
    reviews.recommend_application(
        actor=officer("shantou"),
        application=application_of("p-shantou"),
        opinion="平台供应链协同服务覆盖本地纺织服装产业集群，同意推荐。",
        truthfulness_confirmed=True,
    )
    # 湛江: not recommended.
    reviews.decline_application(
        actor=officer("zhanjiang"),
        application=application_of("p-zhanjiang"),
        reason="平台正式运营时间及服务成效材料不足，本批次不予推荐。",
    )
