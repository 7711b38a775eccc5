from datetime import date

import pytest

from shifan.dashboard import selectors
from shifan.dashboard.selectors import Scope
from tests.dashboard.world import build_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return build_programme()


def test_progress_counts_active_units_by_announcement_year_against_targets(programme):
    progress = selectors.progress(today=date(2026, 6, 1))
    assert progress.by_year == {2024: {"enterprise": 1}}
    assert progress.revoked == 1
    assert progress.years == [2024, 2025, 2026, 2027, 2028, 2029, 2030]
    by_2027, by_2030 = progress.targets
    assert (by_2027.year, by_2027.total, by_2027.reached, by_2027.missing) == (2027, 160, 1, 159)
    assert by_2027.reached_by_category == {"enterprise": 1}
    assert by_2027.years_left == 2  # 2026 and 2027
    assert by_2027.per_year == 80  # 159 / 2, rounded up
    assert (by_2030.reached, by_2030.years_left, by_2030.per_year) == (1, 5, 40)


def test_progress_for_a_city_counts_its_own_units(programme):
    assert selectors.progress(city_code="440300").city_total == 1
    assert selectors.progress(city_code="440100").city_total == 0


def test_a_target_year_gone_by_asks_for_no_pace(programme):
    by_2027 = selectors.progress(today=date(2028, 1, 1)).targets[0]
    assert by_2027.years_left == 0
    assert by_2027.per_year == 0


def test_funnel_counts_each_stage_by_city_and_category(programme):
    funnel = selectors.funnel(programme["batch"], Scope())
    assert funnel.stage_counts(category="enterprise") == {
        "created": 4,
        "submitted": 3,
        "recommended": 2,
        "accepted": 2,
        "reviewed": 2,
        "proposed": 1,
        "recognised": 1,
    }
    assert funnel.stage_counts(category="platform") == {
        "created": 3,
        "submitted": 3,  # the withdrawn one was submitted once
        "recommended": 2,
        "accepted": 1,
        "reviewed": 1,
        "proposed": 1,
        "recognised": 1,
    }
    guangzhou = funnel.stage_counts(city_code="440100")
    assert (guangzhou["created"], guangzhou["submitted"], guangzhou["recommended"]) == (3, 2, 1)
    assert funnel.state_counts()["withdrawn"] == 1


def test_a_city_scope_sees_only_its_city(programme):
    funnel = selectors.funnel(programme["batch"], Scope(city_code="440300"))
    assert {city for city, _category in funnel.cells} == {"440300"}
    assert funnel.stage_counts()["created"] == 2


def test_modes_follow_the_enterprise_and_platform_fields(programme):
    counts = selectors.modes(programme["batch"], Scope())
    assert counts["industrial_design"] == {"enterprise": 2, "platform": 1}
    assert counts["customization"] == {"enterprise": 1, "platform": 0}
    assert counts["shared_manufacturing"] == {"enterprise": 0, "platform": 1}
    # The recommended platform chose 共享制造: its leftover other_modes do not count.
    assert counts["supply_chain"] == {"enterprise": 0, "platform": 0}
    assert counts["testing_certification"] == {"enterprise": 0, "platform": 1}
    assert counts["other"] == {"enterprise": 1, "platform": 0}
    assert [mode.key for mode in selectors.modes_of(programme["batch"])][:2] == [
        "industrial_design",
        "customization",
    ]
    assert len(selectors.modes_of(programme["batch"])) == 10  # nine modes and 其他


def test_industries_skip_private_applications(programme):
    counts = selectors.industries(programme["batch"], Scope())
    assert counts["C34"] == {"enterprise": 2}
    assert counts["I"] == {"platform": 1}
    assert counts[""] == {"platform": 1}  # the recognised platform named none
    assert sum(sum(by.values()) for by in counts.values()) == 5  # no draft, no withdrawn


def test_eligibility_takes_the_worst_outcome_of_the_latest_check(programme):
    counts = selectors.eligibility(programme["batch"], Scope())
    assert counts == {"pass": {"enterprise": 1}, "warning": {"platform": 1}, "fail": {"enterprise": 1}}


def test_scores_are_the_expert_reviews_final_scores_in_bins(programme):
    counts = selectors.scores(programme["batch"], Scope())
    assert counts["85–90"] == {"enterprise": 1}  # mean of 80 and 90
    assert sum(sum(by.values()) for by in counts.values()) == 1
    assert selectors.score_bin(selectors.SCORE_BINS[-1][1]) == "95–100"


def test_the_required_path_meets_each_target_from_last_years_count(programme):
    from shifan.dashboard.charts import required_path

    progress = selectors.progress(today=date(2026, 6, 1))
    cumulative = [1, 1, 1, 1, 1, 1, 1]  # 2024 … 2030
    path = required_path(progress, cumulative, this_year=2026)
    # From 1 at the end of 2025: 160 by 2027 in two steps, then 200 by 2030 in three.
    assert path == [None, None, 80, 160, 173, 187, 200]
