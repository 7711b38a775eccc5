"""The assignment solver against brute force and the LP, its proof and its reasons for infeasibility."""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shifan.expert_review.assignment import (
    SHORTLIST,
    AssignmentInfeasible,
    Problem,
    dual_values,
    lower_bound,
    solve,
    solve_most,
)
from shifan.expert_review.assignment_lp import solve_linear_programme


def brute_force(problem: Problem) -> int | None:
    """Return the least cost over every assignment meeting the constraints, or None if none does."""
    choices = []
    for application, demand in problem.demand.items():
        allowed = [e for e in problem.experts if (application, e) in problem.costs]
        options = [
            combo
            for combo in itertools.combinations(allowed, demand)
            if all(e in combo for a, e in problem.fixed if a == application)
        ]
        choices.append([(application, combo) for combo in options])
    best = None
    for plan in itertools.product(*choices):
        load: dict = {}
        cost = 0
        for application, combo in plan:
            for expert in combo:
                load[expert] = load.get(expert, 0) + 1
                cost += problem.costs[(application, expert)]
        if all(count <= problem.capacity(expert) for expert, count in load.items()):
            best = cost if best is None else min(best, cost)
    return best


def random_problem(seed: int, *, applications: int, experts: int, k: int, load: int, conflict_rate: float):
    rng = random.Random(seed)
    expert_ids = tuple(f"e{i}" for i in range(experts))
    costs = {
        (f"a{a}", e): -rng.randint(0, 20)
        for a in range(applications)
        for e in expert_ids
        if rng.random() >= conflict_rate
    }
    return Problem(
        demand={f"a{a}": k for a in range(applications)}, experts=expert_ids, max_load=load, costs=costs
    )


def check_solution(problem: Problem, solution) -> None:
    for application, demand in problem.demand.items():
        experts = [e for a, e in solution.pairs if a == application]
        assert len(experts) == demand == len(set(experts))
    for expert, count in solution.load().items():
        assert count <= problem.capacity(expert)
    assert all(pair in problem.costs for pair in solution.pairs)
    assert problem.fixed <= set(solution.pairs)
    assert solution.cost == sum(problem.costs[pair] for pair in solution.pairs)
    assert solution.bound <= solution.cost + 1e-6


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    applications=st.integers(1, 4),
    experts=st.integers(2, 5),
    k=st.integers(1, 2),
    load=st.integers(1, 3),
    conflict_rate=st.sampled_from([0.0, 0.2, 0.4]),
)
def test_solver_matches_brute_force(seed, applications, experts, k, load, conflict_rate):
    problem = random_problem(
        seed, applications=applications, experts=experts, k=k, load=load, conflict_rate=conflict_rate
    )
    best = brute_force(problem)
    if best is None:
        with pytest.raises(AssignmentInfeasible):
            solve(problem)
        return
    solution = solve(problem)
    check_solution(problem, solution)
    assert solution.cost == best
    # The dual bound proves it: no assignment can cost less.
    assert solution.gap == pytest.approx(0, abs=1e-6)


def test_solver_is_not_greedy():
    # Greedy gives a0 its best expert e0 (cost -10) and leaves a1 with e1 (0): total -10.
    # The optimum gives a0 e1 (-9) and a1 e0 (-9): total -18.
    problem = Problem(
        demand={"a0": 1, "a1": 1},
        experts=("e0", "e1"),
        max_load=1,
        costs={("a0", "e0"): -10, ("a0", "e1"): -9, ("a1", "e0"): -9, ("a1", "e1"): 0},
    )
    solution = solve(problem)
    assert set(solution.pairs) == {("a0", "e1"), ("a1", "e0")}
    assert solution.cost == -18


def test_fixed_pairs_stay_even_when_costly():
    problem = Problem(
        demand={"a0": 1, "a1": 1},
        experts=("e0", "e1"),
        max_load=1,
        costs={("a0", "e0"): -10, ("a0", "e1"): -9, ("a1", "e0"): -9, ("a1", "e1"): 0},
        fixed=frozenset({("a0", "e0")}),
    )
    solution = solve(problem)
    assert set(solution.pairs) == {("a0", "e0"), ("a1", "e1")}
    assert solution.gap == pytest.approx(0, abs=1e-6)


def test_used_load_counts_against_the_maximum():
    problem = Problem(
        demand={"a0": 1},
        experts=("e0", "e1"),
        max_load=2,
        costs={("a0", "e0"): -10, ("a0", "e1"): 0},
        used_load={"e0": 2},
    )
    assert solve(problem).pairs == (("a0", "e1"),)


def test_an_application_with_too_few_allowed_experts_is_named():
    problem = Problem(
        demand={"a0": 2, "a1": 2},
        experts=("e0", "e1", "e2"),
        max_load=5,
        costs={("a0", "e0"): 0, ("a1", "e0"): 0, ("a1", "e1"): 0, ("a1", "e2"): 0},
    )
    with pytest.raises(AssignmentInfeasible) as raised:
        solve(problem)
    [shortage] = raised.value.shortages
    assert shortage.applications == {"a0"}
    assert (shortage.needed, shortage.available) == (2, 1)


def test_too_little_load_in_the_pool_is_reported():
    problem = Problem(
        demand={f"a{i}": 2 for i in range(4)},
        experts=("e0", "e1", "e2"),
        max_load=2,
        costs={(f"a{i}", e): 0 for i in range(4) for e in ("e0", "e1", "e2")},
    )
    with pytest.raises(AssignmentInfeasible) as raised:
        solve(problem)
    assert (raised.value.total_needed, raised.value.total_available) == (8, 6)


def test_a_group_sharing_too_few_experts_is_found_by_the_cut():
    # a0..a2 may only use e0 and e1 (each of load 2): 3 reviews needed, 4 available for them;
    # with k = 2 they need 6. Each alone has two experts, and the pool has load to spare.
    costs = {(f"a{i}", e): 0 for i in range(3) for e in ("e0", "e1")}
    costs.update({("a3", e): 0 for e in ("e2", "e3", "e4")})
    problem = Problem(
        demand={f"a{i}": 2 for i in range(4)},
        experts=("e0", "e1", "e2", "e3", "e4"),
        max_load=2,
        costs=costs,
    )
    with pytest.raises(AssignmentInfeasible) as raised:
        solve(problem)
    [shortage] = raised.value.shortages
    assert shortage.applications == {"a0", "a1", "a2"}
    assert shortage.experts == {"e0", "e1"}
    assert (shortage.needed, shortage.available) == (6, 4)


def test_nothing_to_assign():
    assert solve(Problem(demand={}, experts=("e0",), max_load=1, costs={})).pairs == ()


# The minimum-cost flow against the linear programme, and its certificate


def outcome(solver, problem: Problem):
    """Return what a solver gives: its cost, or the reasons it reports for infeasibility."""
    try:
        solution = solver(problem)
    except AssignmentInfeasible as infeasible:
        shortages = [(s.applications, s.experts, s.needed, s.available) for s in infeasible.shortages]
        return ("infeasible", shortages, infeasible.total_needed, infeasible.total_available)
    check_solution(problem, solution)
    return ("solved", solution.cost)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    applications=st.integers(1, 8),
    experts=st.integers(1, 8),
    k=st.integers(1, 3),
    load=st.integers(1, 4),
    conflict_rate=st.sampled_from([0.0, 0.3, 0.6, 0.9]),
    fixed=st.integers(0, 2),
    busy=st.sampled_from([0.0, 0.5]),
)
def test_flow_and_linear_programme_agree(seed, applications, experts, k, load, conflict_rate, fixed, busy):
    # Tight and infeasible instances come from high conflict rates, low loads and load already
    # used elsewhere; both solvers must then give the same reasons.
    problem = random_problem(
        seed, applications=applications, experts=experts, k=k, load=load, conflict_rate=conflict_rate
    )
    rng = random.Random(seed)
    problem = Problem(
        demand=problem.demand,
        experts=problem.experts,
        max_load=load,
        costs=problem.costs,
        fixed=frozenset(rng.sample(sorted(problem.costs), min(fixed, len(problem.costs)))),
        used_load={e: rng.randint(1, load) for e in problem.experts if rng.random() < busy},
    )
    flow = outcome(solve, problem)
    assert flow == outcome(solve_linear_programme, problem)
    if flow[0] == "solved":
        assert solve(problem).gap == 0


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    y=st.lists(st.integers(-30, 30), min_size=4, max_size=4),
    z=st.lists(st.integers(-30, 10), min_size=5, max_size=5),
)
def test_any_duals_bound_every_assignment(seed, y, z):
    # The bound is weak duality with the duals made feasible in code: whatever potentials it is
    # given, right or wrong, it never claims more than the true optimum.
    problem = random_problem(seed, applications=4, experts=5, k=2, load=2, conflict_rate=0.2)
    best = brute_force(problem)
    if best is None:
        return
    duals = dict(zip(problem.demand, y, strict=True)), dict(zip(problem.experts, z, strict=True))
    bound = lower_bound(problem, *duals)
    assert bound <= best


def greedy_problem() -> Problem:
    return Problem(
        demand={"a0": 1, "a1": 1, "a2": 1},
        experts=("e0", "e1", "e2"),
        max_load=1,
        costs={
            ("a0", "e0"): -10,
            ("a0", "e1"): -9,
            ("a1", "e0"): -9,
            ("a1", "e1"): 0,
            ("a2", "e1"): -3,
            ("a2", "e2"): -2,
        },
    )


def test_the_potentials_of_the_optimum_prove_it():
    problem = greedy_problem()
    solution = solve(problem)
    y, z = dual_values(problem, solution.pairs)
    assert lower_bound(problem, y, z) == solution.cost == -20
    assert solution.bound == solution.cost


def test_a_wrong_potential_is_caught():
    problem = greedy_problem()
    solution = solve(problem)
    y, z = dual_values(problem, solution.pairs)
    # e2 has load left, so its dual must be 0; a negative one lowers the bound below the cost.
    assert z["e2"] == 0
    assert lower_bound(problem, y, {**z, "e2": -5}) < solution.cost
    # Raising a0's dual by 5 prices its unused pair a0–e0 below zero.
    assert lower_bound(problem, {**y, "a0": y["a0"] + 5}, z) < solution.cost


def test_the_potentials_of_a_worse_assignment_leave_a_gap():
    # Greedy's assignment (a0–e0, a1–e1, a2–e2) costs −12; the optimum −20. Its residual graph has
    # a negative cycle, so no potentials prove it: the bound stays below its cost.
    problem = greedy_problem()
    worse = (("a0", "e0"), ("a1", "e1"), ("a2", "e2"))
    y, z = dual_values(problem, worse)
    assert lower_bound(problem, y, z) <= -20 < -12


def test_a_better_pair_left_off_the_shortlist_is_priced_in():
    # The flow first looks at each application's best n = SHORTLIST × k pairs. x's shortlist is
    # e0..e(n−1) (−10 each), leaving out f (−9). On the shortlist the best is x on some e_j, whose
    # y_j falls back to the spare expert s (0): −10·n. The duals price x–f below zero, it joins,
    # and the optimum takes it: x on f, each y_j on e_j, −10·n − 9.
    n = SHORTLIST
    costs = {("x", f"e{j}"): -10 for j in range(n)}
    costs[("x", "f")] = -9
    for j in range(n):
        costs[(f"y{j}", f"e{j}")] = -10
        costs[(f"y{j}", "s")] = 0
    problem = Problem(
        demand={"x": 1, **{f"y{j}": 1 for j in range(n)}},
        experts=(*(f"e{j}" for j in range(n)), "f", "s"),
        max_load=1,
        costs=costs,
    )
    solution = solve(problem)
    check_solution(problem, solution)
    assert ("x", "f") in solution.pairs
    assert solution.cost == solution.bound == -10 * n - 9


def test_a_shortlist_too_short_falls_back_to_every_pair():
    # n + 1 applications rank the same n = SHORTLIST experts first: their shortlists leave out f,
    # the only other expert, and the flow over them has no solution; over every pair it has.
    n = SHORTLIST
    experts = (*(f"e{j}" for j in range(n)), "f")
    problem = Problem(
        demand={f"a{i}": 1 for i in range(n + 1)},
        experts=experts,
        max_load=1,
        costs={(f"a{i}", e): -9 if e == "f" else -10 for i in range(n + 1) for e in experts},
    )
    solution = solve(problem)
    check_solution(problem, solution)
    assert solution.cost == solution.bound == -10 * n - 9


def test_a_batch_of_a_thousand_applications_is_solved_and_proven():
    # The size of a provincial batch: 1,000 applications, 300 experts, k = 5, load 20, about 8 %
    # of pairs in conflict, fits drawn as the programme's scores fall (sums of 10, 5 and 4).
    rng = random.Random(2024)
    experts = tuple(range(10_000, 10_300))
    scores = [0, 4, 5, 9, 10, 14, 15, 19, 20, 24, 25, 29, 30, 35]
    weights = [26, 3, 29, 3, 15, 2, 16, 2, 2, 1, 2, 1, 1, 1]
    costs = {
        (application, expert): -rng.choices(scores, weights)[0]
        for application in range(1000)
        for expert in experts
        if rng.random() >= 0.08
    }
    problem = Problem(demand=dict.fromkeys(range(1000), 5), experts=experts, max_load=20, costs=costs)
    solution = solve(problem)
    check_solution(problem, solution)
    assert solution.gap == 0
    assert solution.cost == solve_linear_programme(problem).cost


def brute_force_most(problem: Problem) -> tuple[int, int]:
    """Return (most reviews, least cost among those) over every partial assignment."""
    choices = []
    for application, demand in problem.demand.items():
        allowed = [e for e in problem.experts if (application, e) in problem.costs]
        options = [
            (application, combo)
            for size in range(min(demand, len(allowed)) + 1)
            for combo in itertools.combinations(allowed, size)
        ]
        choices.append(options)
    best = (0, 0)
    for plan in itertools.product(*choices):
        load: dict = {}
        cost = count = 0
        for application, combo in plan:
            for expert in combo:
                load[expert] = load.get(expert, 0) + 1
                cost += problem.costs[(application, expert)]
                count += 1
        if all(n <= problem.capacity(expert) for expert, n in load.items()):
            best = max(best, (count, -cost))
    return best[0], -best[1]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    applications=st.integers(1, 3),
    experts=st.integers(1, 4),
    k=st.integers(1, 3),
    load=st.integers(1, 2),
    conflict_rate=st.sampled_from([0.0, 0.3, 0.6]),
)
def test_relaxed_solver_assigns_the_most_then_the_best(seed, applications, experts, k, load, conflict_rate):
    problem = random_problem(
        seed, applications=applications, experts=experts, k=k, load=load, conflict_rate=conflict_rate
    )
    most, cheapest = brute_force_most(problem)
    solution, shortfalls = solve_most(problem)
    assert len(solution.pairs) == most
    assert solution.cost == cheapest
    assert solution.gap == pytest.approx(0, abs=1e-6)
    assert sum(shortfalls.values()) == sum(problem.demand.values()) - most
    for application, demand in problem.demand.items():
        given_ = sum(1 for a, _e in solution.pairs if a == application)
        assert given_ + shortfalls.get(application, 0) == demand
    for expert, count in solution.load().items():
        assert count <= problem.capacity(expert)


def test_relaxed_solver_prefers_the_better_fit_among_the_largest_assignments():
    # Four reviews at most; giving a1 two (b, d) and a2 two (c and one more) is not possible,
    # and of the largest assignments the best fit leaves a2 short, not a1.
    problem = Problem(
        demand={1: 3, 2: 3},
        experts=("a", "b", "c", "d"),
        max_load=1,
        costs={(1, "a"): -1, (1, "b"): -2, (2, "b"): -1, (2, "c"): -3, (2, "d"): 0, (1, "d"): -1},
    )
    solution, shortfalls = solve_most(problem)
    assert solution.cost == -7
    assert shortfalls == {2: 2}


def test_relaxed_solver_assigns_the_possible_review_whatever_the_sign_of_the_costs():
    # A dear pair is still better than an unmet review.
    problem = Problem(demand={"A": 2}, experts=("e1",), max_load=1, costs={("A", "e1"): 1000})
    solution, shortfalls = solve_most(problem)
    assert solution.pairs == (("A", "e1"),)
    assert shortfalls == {"A": 1}


def test_relaxed_solver_refuses_fixed_pairs_before_solving():
    problem = Problem(
        demand={"A": 1}, experts=("e1",), max_load=1, costs={("A", "e1"): 0}, fixed=frozenset({("A", "e1")})
    )
    with pytest.raises(ValueError, match="fixed"):
        solve_most(problem)
