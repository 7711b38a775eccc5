"""Aggregation rules against examples computed by hand."""

from decimal import Decimal as D

import pytest

from shifan.expert_review.aggregation import Rule, Total, aggregate, ranking, standardise, trimmed_mean


def totals(application, *values, experts=None):
    experts = experts or [f"e{i}" for i in range(len(values))]
    return [Total(application, expert, D(str(v))) for expert, v in zip(experts, values, strict=True)]


def test_trimmed_mean_drops_highest_and_lowest_from_five():
    assert trimmed_mean([D(80), D(85), D(90), D(70), D(95)]) == (D("85.00"), (D(95), D(70)))


def test_trimmed_mean_of_six_drops_one_each_end():
    # (70 + 80 + 84 + 91) / 4 = 81.25
    assert trimmed_mean([D(80), D(84), D(91), D(70), D(95), D(60)])[0] == D("81.25")


def test_fewer_than_five_totals_take_the_plain_mean():
    # (70 + 80 + 90 + 61) / 4 = 75.25, nothing dropped
    assert trimmed_mean([D(70), D(80), D(90), D(61)]) == (D("75.25"), ())


def test_mean_rule_keeps_every_total():
    [result] = aggregate(totals("x", 80, 85, 90, 70, 95), rule=Rule.MEAN).values()
    assert result.score == D("84.00")
    assert result.dropped == ()


def test_rounding_is_half_up_to_cents():
    # (80 + 80.5 + 81) / 3 = 80.5; (80 + 80 + 80.5) / 3 = 80.1666… → 80.17
    assert aggregate(totals("x", 80, 80, "80.5"), rule=Rule.MEAN)["x"].score == D("80.17")


def test_standardisation_cancels_a_harsh_and_a_lenient_expert():
    # A gives 60 and 70, B gives 80 and 90: same order, different severity.
    # Batch mean 75, population spread √125 = 11.1803; each expert's mean 65 / 85, spread 5.
    # x: 75 + 11.1803 × (−1) = 63.82 from both; y: 75 + 11.1803 = 86.18 from both.
    scores = totals("x", 60, 80, experts=["A", "B"]) + totals("y", 70, 90, experts=["A", "B"])
    rescaled = standardise(scores)
    assert rescaled[("x", "A")] == rescaled[("x", "B")] == D("63.82")
    assert rescaled[("y", "A")] == rescaled[("y", "B")] == D("86.18")
    raw = aggregate(scores, rule=Rule.MEAN)
    fair = aggregate(scores, rule=Rule.MEAN, standardised=True)
    assert (raw["x"].score, fair["x"].score) == (D("70.00"), D("63.82"))
    # Their raw disagreement (20 points apart) is what standardisation removes.
    assert raw["x"].disagreement
    assert not fair["x"].disagreement


def test_an_expert_with_one_total_is_only_shifted_to_the_batch_mean():
    # Batch mean (60 + 70 + 80 + 90 + 50) / 5 = 70; C's single 50 has no spread: 50 − 50 + 70.
    scores = (
        totals("x", 60, 80, experts=["A", "B"])
        + totals("y", 70, 90, experts=["A", "B"])
        + totals("z", 50, experts=["C"])
    )
    assert standardise(scores)[("z", "C")] == D("70.00")


def test_high_disagreement_is_flagged_at_the_threshold():
    # Sample standard deviation of 60 and 90: √450 = 21.21.
    wide = aggregate(totals("x", 60, 90), threshold=D(10))["x"]
    assert (wide.spread, wide.disagreement) == (D("21.21"), True)
    # 80 and 82: √2 = 1.41.
    narrow = aggregate(totals("y", 80, 82), threshold=D(10))["y"]
    assert (narrow.spread, narrow.disagreement) == (D("1.41"), False)
    assert aggregate(totals("z", 80), threshold=D(0))["z"].disagreement is False


def test_adjustments_add_to_the_score_within_zero_and_a_hundred():
    result = aggregate(totals("x", 85, 85), adjustments={"x": D(3)})["x"]
    assert (result.score, result.final) == (D("85.00"), D("88.00"))
    assert aggregate(totals("y", 99, 99), adjustments={"y": D(5)})["y"].final == D("100.00")
    assert aggregate(totals("z", 2), adjustments={"z": D(-5)})["z"].final == D("0.00")


def test_ranking_orders_by_final_then_number():
    results = aggregate(totals("a", 80) + totals("b", 90) + totals("c", 80))
    ordered = ranking(results.values(), tie_break={"a": "GD-0002", "b": "GD-0003", "c": "GD-0001"})
    assert [r.application for r in ordered] == ["b", "c", "a"]


def test_trimmed_mean_needs_values():
    with pytest.raises(ValueError, match="no values"):
        trimmed_mean([])
