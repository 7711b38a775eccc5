from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shifan.applications import services
from shifan.demo.answers import complete_answers
from shifan.publicity.models import Announcement, DemonstrationUnit, Notice
from tests import factories

# Enough of a PDF for the upload check; not one a reader can open.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

ENTERPRISES = [
    ("广州智造装备股份有限公司", "440100", "广州市"),
    ("深圳市云联工业互联网科技有限公司", "440300", "深圳市"),
    ("佛山市顺德区美的精密制造有限公司", "440600", "佛山市"),
]
PLATFORMS = [
    ("东莞市制造业数字化转型服务平台有限公司", "441900", "东莞市"),
    ("珠海工业设计创新中心有限公司", "440400", "珠海市"),
]

BODY = (
    "根据《广东省服务型制造示范遴选管理办法》，经企业申报、地市推荐、专家评审和公示，"
    "现认定广州智造装备股份有限公司等3家企业为服务型制造示范企业，"
    "东莞市制造业数字化转型服务平台有限公司等2个平台为服务型制造示范平台。\n"
    "\n"
    "示范有效期三年。各地级以上市工业和信息化主管部门要加强对示范单位的跟踪指导，"
    "示范单位要发挥示范引领作用，持续提升服务型制造发展水平。\n"
    "特此通告。\n"
)


def unit(announcement, position, category, category_name, name, city_code, city_name, officer):
    organisation = factories.OrganisationFactory(name=name, city_code=city_code)
    application = factories.ApplicationFactory(
        batch=announcement.batch, organisation=organisation, category=category, created_by=officer
    )
    return DemonstrationUnit.objects.create(
        announcement=announcement,
        application=application,
        organisation=organisation,
        category=category,
        category_name=category_name,
        position=position,
        unit_name=name,
        city_code=city_code,
        city_name=city_name,
        valid_from=date(2025, 1, 1),
        valid_until=date(2027, 12, 31),
    )


@pytest.fixture
def announcement(db):
    """An announcement of three demonstration enterprises and two platforms, stored out of order."""
    officer = factories.ProvinceOfficerFactory()
    batch = factories.BatchFactory(opened_by=officer)
    notice = Notice.objects.create(
        batch=batch,
        title="2024年广东省服务型制造示范拟认定名单公示",
        starts_on=date(2024, 12, 2),
        working_days=7,
        ends_on=date(2024, 12, 10),
        contact_office="生产服务业处",
        contact_phone="020-83133000",
        published_by=officer,
    )
    announcement = Announcement.objects.create(
        batch=batch,
        notice=notice,
        number="粤工信服务函〔2024〕58号",
        title="广东省工业和信息化厅关于公布2024年广东省服务型制造示范名单的通告",
        issued_on=date(2024, 12, 20),
        body=BODY,
        published_by=officer,
    )
    for position, (name, city_code, city_name) in reversed(list(enumerate(PLATFORMS, 1))):
        unit(announcement, position, "platform", "示范平台", name, city_code, city_name, officer)
    for position, (name, city_code, city_name) in reversed(list(enumerate(ENTERPRISES, 1))):
        unit(announcement, position, "enterprise", "示范企业", name, city_code, city_name, officer)
    return announcement


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    # Submitted books are stored when first made (documents.rendered): each test keeps its own.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def application(applicant_admin):
    batch = factories.BatchFactory()
    application = services.start_application(actor=applicant_admin, batch=batch, category="enterprise")
    answers = complete_answers(application.form)
    answers["responsible_person"] = "王建国"
    answers["commitment_date"] = "2024-05-20"
    services.save_answers(actor=applicant_admin, application=application, base_version=0, values=answers)
    application.refresh_from_db()
    services.add_attachment(
        actor=applicant_admin,
        application=application,
        field_key="organisation_restructuring",
        uploaded=SimpleUploadedFile("组织架构图.pdf", PDF),
        title="组织架构图",
    )
    return application


@pytest.fixture
def snapshot(application, applicant_admin):
    return services.submit_application(actor=applicant_admin, application=application)
