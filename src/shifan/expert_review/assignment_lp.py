"""The same assignment as a linear programme solved by HiGHS: the reference for the flow solver.

`assignment.solve` (a minimum-cost flow) replaced this solver in production (decision 0014): on
1,000 applications × 300 experts it is about 25 times faster once loaded and 18 times faster for
the first solve in a fresh process, which here pays for scipy's import. It stays as an
independent second solver: the tests compare the two optimal costs and reasons for infeasibility
on random instances, and `make bench-assignment` prints both times.

The constraint matrix of the transportation problem is totally unimodular, so HiGHS's simplex
returns an integral vertex; should it ever return a fractional point, `milp` settles it exactly.
The lower bound comes from HiGHS's duals made feasible in code (weak duality), as in the flow
solver, so its optimality is checked, not trusted.
"""

from __future__ import annotations

from shifan.expert_review.assignment import (
    AssignmentInfeasible,
    Problem,
    Solution,
    _check_feasible,
    _hall_violation,
    _network,
)

INTEGRALITY_TOLERANCE = 1e-6


def solve_linear_programme(problem: Problem) -> Solution:
    """Return a minimum-cost assignment found by HiGHS, or raise AssignmentInfeasible."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    _check_feasible(problem, _network(problem))
    applications = list(problem.demand)
    if not applications:
        return Solution(pairs=(), cost=0, bound=0.0)
    pairs = list(problem.costs)
    app_row = {application: row for row, application in enumerate(applications)}
    expert_row = {expert: row for row, expert in enumerate(problem.experts)}
    columns = np.arange(len(pairs))
    a_eq = coo_matrix(
        (np.ones(len(pairs)), ([app_row[a] for a, _e in pairs], columns)),
        shape=(len(applications), len(pairs)),
    ).tocsr()
    a_ub = coo_matrix(
        (np.ones(len(pairs)), ([expert_row[e] for _a, e in pairs], columns)),
        shape=(len(problem.experts), len(pairs)),
    ).tocsr()
    b_eq = np.array([problem.demand[a] for a in applications], dtype=float)
    b_ub = np.array([problem.capacity(e) for e in problem.experts], dtype=float)
    cost = np.array([problem.costs[pair] for pair in pairs], dtype=float)
    lower = np.array([1.0 if pair in problem.fixed else 0.0 for pair in pairs])
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=np.column_stack([lower, np.ones(len(pairs))]),
        method="highs-ds",
    )
    if result.status == 2:
        group = _hall_violation(problem)
        raise AssignmentInfeasible(
            [group] if group else [], total_needed=int(b_eq.sum()), total_available=int(b_ub.sum())
        )
    if result.status != 0:
        raise RuntimeError(f"the LP solver stopped: {result.message}")
    values = result.x
    if np.any(np.minimum(np.abs(values), np.abs(values - 1)) > INTEGRALITY_TOLERANCE):
        values = _solve_integer(cost, a_ub, b_ub, a_eq, b_eq, lower)
    chosen = tuple(pair for pair, value in zip(pairs, values, strict=True) if value > 0.5)
    total = sum(problem.costs[pair] for pair in chosen)
    bound = _dual_bound(result, problem, pairs, applications)
    return Solution(pairs=chosen, cost=total, bound=bound)


def _solve_integer(cost, a_ub, b_ub, a_eq, b_eq, lower):  # type: ignore[no-untyped-def]
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    result = milp(
        cost,
        constraints=[LinearConstraint(a_eq, b_eq, b_eq), LinearConstraint(a_ub, -np.inf, b_ub)],
        bounds=Bounds(lower, np.ones(len(cost))),
        integrality=np.ones(len(cost)),
    )
    if result.status != 0:
        raise RuntimeError(f"the integer solver stopped: {result.message}")
    return result.x


def _dual_bound(result, problem: Problem, pairs: list, applications: list) -> float:  # type: ignore[no-untyped-def,type-arg]
    """Return the dual objective of HiGHS's duals made feasible, a lower bound on any cost.

    HiGHS's marginals give y (per application) and z (per expert, made ≤ 0); the pairs' upper
    bounds then take min(0, c − y − z), which makes every dual constraint hold exactly.
    """
    demand = [problem.demand[a] for a in applications]
    y = dict(zip(applications, result.eqlin.marginals, strict=True))
    z = {
        expert: min(0.0, value)
        for expert, value in zip(problem.experts, result.ineqlin.marginals, strict=True)
    }
    bound = sum(d * y[a] for d, a in zip(demand, applications, strict=True))
    bound += sum(problem.capacity(expert) * z[expert] for expert in problem.experts)
    for application, expert in pairs:
        reduced = problem.costs[(application, expert)] - y[application] - z[expert]
        if (application, expert) in problem.fixed:
            # x = 1 exactly: its dual is free; the term is reduced·1 whatever its sign.
            bound += reduced
        else:
            bound += min(0.0, reduced)
    return float(bound)
