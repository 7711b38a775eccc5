import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shifan.demo.announced import closed_announcement
from shifan.publicity.models import DemonstrationUnit
from tests import factories

CASE_TEXT = {
    "title": "以工业设计服务带动整机升级",
    "summary": "设计中心为上下游企业提供工业设计服务，服务收入占比三年提高到 35%。",
    "mode": "industrial_design",
    "body": "企业设立工业设计中心。\n\n面向产业链提供设计服务。\n形成可推广的经验。",
}


def png(width=8, height=6, color=(11, 61, 145)):
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (width, height), color).save(output, "PNG")
    return output.getvalue()


def jpeg(width=8, height=6):
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (width, height), (200, 16, 46)).save(output, "JPEG")
    return output.getvalue()


def upload(name="车间.png", data=None, content_type="image/png"):
    return SimpleUploadedFile(name, png() if data is None else data, content_type=content_type)


def recognised_unit(
    *, city_code="440100", city_name="广州市", category="enterprise", answers=None, number=None
):
    """A demonstration unit of an announced batch, made as the announcement makes it."""
    province = factories.ProvinceOfficerFactory()
    batch = factories.BatchFactory(application_year=2024)
    announcement = closed_announcement(
        batch, published_by=province, number=number or f"粤工信融合函〔2024〕{batch.pk}号"
    )
    organisation = factories.OrganisationFactory(city_code=city_code)
    application = factories.ApplicationFactory(
        batch=batch,
        organisation=organisation,
        category=category,
        state="recognised",
        answers=answers if answers is not None else {"modes": {"selected": ["supply_chain"]}},
    )
    return DemonstrationUnit.objects.create(
        announcement=announcement,
        application=application,
        organisation=organisation,
        category=category,
        category_name="示范企业" if category == "enterprise" else "示范平台",
        position=1,
        unit_name=organisation.name,
        city_code=city_code,
        city_name=city_name,
        valid_from=announcement.issued_on,
        valid_until=announcement.issued_on + timedelta(days=3 * 365),
    )


@pytest.fixture
def unit(db):
    return recognised_unit()


def make_case(actor, unit, **changes):
    from shifan.cases import services

    return services.create_case(actor=actor, unit=unit, **{**CASE_TEXT, **changes})


def published_case(actor, unit, **changes):
    from shifan.cases import services

    case = make_case(actor, unit, **changes)
    services.add_picture(actor=actor, case=case, uploaded=upload(), caption="设计中心")
    return services.publish_case(actor=actor, case=case)
