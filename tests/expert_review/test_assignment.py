"""The assignment solver against brute force on small cases, and its reasons for infeasibility."""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shifan.expert_review.assignment import AssignmentInfeasible, Problem, solve


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
