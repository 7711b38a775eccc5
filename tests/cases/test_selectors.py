from shifan.cases import selectors, services
from shifan.publicity.models import UnitStatus
from tests.cases.conftest import make_case, published_case, recognised_unit


def test_public_sees_only_published_cases_of_units_not_revoked(province_officer, unit):
    shown = published_case(province_officer, unit, title="已发布")
    make_case(province_officer, unit, title="草稿")
    withdrawn = published_case(province_officer, unit, title="已撤下")
    services.withdraw_case(actor=province_officer, case=withdrawn, reason="过时")
    revoked_unit = recognised_unit(city_code="440300", city_name="深圳市")
    published_case(province_officer, revoked_unit, title="撤销单位的案例")
    revoked_unit.status = UnitStatus.REVOKED
    revoked_unit.save()

    assert [case.title for case in selectors.public_cases()] == ["已发布"]
    modes, cities = selectors.public_filters()
    assert modes == [("industrial_design", "工业设计服务")]
    assert cities == [("440100", "广州市")]
    assert selectors.public_case(shown.pk)[0] == shown
    officer_titles = {case.title for case in selectors.cases_for_officers()}
    assert officer_titles == {"已发布", "草稿", "已撤下", "撤销单位的案例"}
    assert [case.title for case in selectors.cases_for_officers(state="hidden")] == ["撤销单位的案例"]


def test_public_cases_filter_by_mode_city_and_search(province_officer):
    guangzhou = recognised_unit()
    shenzhen = recognised_unit(city_code="440300", city_name="深圳市")
    published_case(province_officer, guangzhou, title="设计赋能")
    published_case(province_officer, shenzhen, title="供应链协同", mode="supply_chain")
    published_case(province_officer, shenzhen, title="深圳设计", mode="industrial_design")

    def titles(**filters):
        return sorted(case.title for case in selectors.public_cases(**filters))

    assert titles(mode="industrial_design") == ["深圳设计", "设计赋能"]
    assert titles(city_code="440300") == ["供应链协同", "深圳设计"]
    assert titles(mode="industrial_design", city_code="440300") == ["深圳设计"]
    assert titles(query="协同") == ["供应链协同"]
    assert titles(query=shenzhen.unit_name) == ["供应链协同", "深圳设计"]
