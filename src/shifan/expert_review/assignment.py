"""Optimal assignment of experts to applications, as a linear programme.

Each application needs `demand[a]` experts (the batch's k), each expert reviews at most
`max_load` applications, and only the allowed pairs (those without a conflict of interest)
may be used. Every allowed pair has an integer cost (lower is better: the negative of how well
the expert's fields match the application). The assignment minimises the total cost.

This is a transportation problem: its constraint matrix is totally unimodular, so the linear
programme has an integral optimal vertex, which HiGHS's simplex returns. Solving the relaxation is
therefore solving the integer problem exactly, not approximately. The solution carries a lower
bound computed from the duals (weak duality, checked here rather than trusted), so its optimality
is proven for every solve, not assumed; `make bench-assignment` prints both.

When the constraints cannot be met, `AssignmentInfeasible` lists why: applications with too few
allowed experts, not enough load in the whole pool, or (found as a minimum cut of the flow network)
a group of applications whose allowed experts together cannot cover them.

Pure Python over scipy and networkx; no Django, so tests can compare it with brute force.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

INTEGRALITY_TOLERANCE = 1e-6
# Application and expert ids: primary keys in production, any hashable value in tests.
Hashable: TypeAlias = Any


@dataclass(frozen=True)
class Problem:
    """An assignment instance. `costs` holds every allowed pair; pairs not in it are forbidden."""

    demand: Mapping[Hashable, int]
    experts: tuple[Hashable, ...]
    max_load: int
    costs: Mapping[tuple[Hashable, Hashable], int]
    # Pairs that must stay (published assignments kept when filling gaps).
    fixed: frozenset[tuple[Hashable, Hashable]] = frozenset()
    # Load an expert already carries outside this problem (e.g. kept pairs not repeated here).
    used_load: Mapping[Hashable, int] = field(default_factory=dict)

    def capacity(self, expert: Hashable) -> int:
        return max(self.max_load - self.used_load.get(expert, 0), 0)


@dataclass(frozen=True)
class Shortage:
    """A group of applications whose allowed experts together cannot give them enough reviews."""

    applications: frozenset[Hashable]
    experts: frozenset[Hashable]
    needed: int
    available: int


@dataclass(frozen=True)
class Solution:
    pairs: tuple[tuple[Hashable, Hashable], ...]
    cost: int
    # A lower bound on the cost of any assignment, from a dual feasible solution of the LP.
    bound: float

    @property
    def gap(self) -> float:
        return self.cost - self.bound

    def load(self) -> dict[Hashable, int]:
        counts: dict[Hashable, int] = {}
        for _application, expert in self.pairs:
            counts[expert] = counts.get(expert, 0) + 1
        return counts


class AssignmentInfeasible(Exception):
    """Raised when no assignment meets the demand, load and conflict constraints."""

    def __init__(self, shortages: list[Shortage], *, total_needed: int, total_available: int) -> None:
        super().__init__(f"{len(shortages)} shortages; need {total_needed}, pool gives {total_available}")
        self.shortages = shortages
        self.total_needed = total_needed
        self.total_available = total_available


def solve(problem: Problem) -> Solution:
    """Return a minimum-cost assignment, or raise AssignmentInfeasible saying why there is none."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    _check_feasible(problem)
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
        # The counts allow it but the pairs do not: find the group of applications that is short
        # (only then, since the cut costs more than the solve on large batches).
        group = _hall_violation(problem)
        raise AssignmentInfeasible(
            [group] if group else [], total_needed=int(b_eq.sum()), total_available=int(b_ub.sum())
        )
    if result.status != 0:
        raise RuntimeError(f"the LP solver stopped: {result.message}")
    values = result.x
    if np.any(np.minimum(np.abs(values), np.abs(values - 1)) > INTEGRALITY_TOLERANCE):
        # A transportation LP's simplex vertex is integral; if HiGHS ever returns an interior
        # point, the integer programme settles it exactly.
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
    """Return the dual objective of a dual solution made feasible, a lower bound on any cost.

    The LP's dual: maximise Σ demand·y + Σ capacity·z + Σ u − Σ fixed-pair lower bounds... with
    z ≤ 0 and u ≤ 0 (one per pair's upper bound 1), subject to y_a + z_e + u_ae ≤ c_ae. HiGHS's
    marginals give y and z; u is then chosen as min(0, c − y − z), which makes every
    constraint hold exactly, so the bound does not rest on the solver's claim of optimality.
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


def _check_feasible(problem: Problem) -> None:
    """Raise AssignmentInfeasible when counting alone shows the demand cannot be met."""
    allowed = _allowed(problem)
    total_needed = sum(problem.demand.values())
    total_available = sum(problem.capacity(expert) for expert in problem.experts)
    shortages = [
        Shortage(
            applications=frozenset([application]),
            experts=frozenset(allowed[application]),
            needed=problem.demand[application],
            available=len([e for e in allowed[application] if problem.capacity(e) > 0]),
        )
        for application in problem.demand
        if len([e for e in allowed[application] if problem.capacity(e) > 0]) < problem.demand[application]
    ]
    if shortages or total_needed > total_available:
        raise AssignmentInfeasible(shortages, total_needed=total_needed, total_available=total_available)


def _allowed(problem: Problem) -> dict[Hashable, set[Hashable]]:
    allowed: dict[Hashable, set[Hashable]] = {application: set() for application in problem.demand}
    for application, expert in problem.costs:
        allowed[application].add(expert)
    return allowed


def _hall_violation(problem: Problem) -> Shortage | None:
    """Return the applications cut off by a minimum cut, when the maximum flow falls short."""
    import networkx as nx

    allowed = _allowed(problem)
    graph = nx.DiGraph()
    graph.add_nodes_from(["source", "sink"])
    for application, demand in problem.demand.items():
        graph.add_edge("source", ("a", application), capacity=demand)
        for expert in allowed[application]:
            graph.add_edge(("a", application), ("e", expert), capacity=1)
    for expert in problem.experts:
        graph.add_edge(("e", expert), "sink", capacity=problem.capacity(expert))
    needed = sum(problem.demand.values())
    flow, (reachable, _rest) = nx.minimum_cut(graph, "source", "sink")
    if flow >= needed:
        return None
    applications = frozenset(node[1] for node in reachable if isinstance(node, tuple) and node[0] == "a")
    outside = sum(demand for application, demand in problem.demand.items() if application not in applications)
    # The cut's value is the flow: what the group can get is the flow less what the others take.
    return Shortage(
        applications=applications,
        experts=frozenset(expert for application in applications for expert in allowed[application]),
        needed=sum(problem.demand[a] for a in applications),
        available=int(flow) - outside,
    )
