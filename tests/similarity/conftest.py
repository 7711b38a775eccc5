import random

import pytest

from tests import factories

# Written sections the tests compare: long enough (over min_length) and distinct per seed.
WORDS = [
    "公司",
    "建立",
    "远程",
    "运维",
    "平台",
    "客户",
    "服务",
    "体系",
    "数字化",
    "车间",
    "研发",
    "设计",
    "生产",
    "制造",
    "交付",
    "质量",
    "追溯",
    "能源",
    "管理",
    "培训",
    "基地",
    "供应链",
    "协同",
    "定制",
    "检测",
    "认证",
    "回收",
    "再制造",
    "融资",
    "租赁",
    "总集成",
    "总承包",
    "标准",
    "人才",
    "市场",
]


def section_text(seed: int, length: int = 60) -> str:
    rng = random.Random(seed)
    sentences = []
    for _ in range(length // 6):
        sentences.append("".join(rng.choice(WORDS) for _ in range(6)) + f"{rng.randint(10, 99999)}。")
    return "".join(sentences)


def written_answers(seed: int) -> dict[str, str]:
    from shifan.programs.registry import spec_file
    from shifan.similarity.services import written_fields

    form = spec_file("guangdong-2024.yaml").spec.category("enterprise").form
    return {f.key: section_text(seed * 100 + n) for n, f in enumerate(written_fields(form))}


def submit(batch, *, answers, city_code="440100", name=None):
    """A submitted enterprise application of an organisation in `city_code`, then checked as
    the submission's task does."""
    from shifan.similarity.services import check_application

    organisation = factories.OrganisationFactory(city_code=city_code, **({"name": name} if name else {}))
    application = factories.ApplicationFactory(batch=batch, organisation=organisation, answers=answers)
    factories.submitted(application)
    check_application(application.pk)
    application.refresh_from_db()
    return application


@pytest.fixture
def batch(db):
    return factories.BatchFactory()
