"""Optimal assignment of experts to applications, as a minimum-cost flow.

Each application needs `demand[a]` experts (the batch's k), each expert reviews at most
`max_load` applications, and only the allowed pairs (those without a conflict of interest)
may be used. Every allowed pair has an integer cost (lower is better: the negative of how well
the expert's fields match the application). The assignment minimises the total cost.

The network. A node per application with supply d_a (its demand less its fixed pairs), a node
per expert, a sink t taking Σ d_a; an arc a → e of capacity 1 and cost c_ae per allowed pair, an
arc e → t of capacity u_e (the expert's load left, less its fixed pairs) and cost 0. A flow
meeting the supplies is an assignment of the same cost, and with integral capacities the minimum
is reached by an integral flow, which OR-Tools' `SimpleMinCostFlow` (cost scaling, in C++) returns:
the integer problem is solved exactly, without a relaxation to round.

The proof of optimality, checked for every solve rather than trusted. For the linear programme
(0 ≤ x_ae ≤ 1, x = 1 on fixed pairs, Σ_e x_ae = D_a the full demand, Σ_a x_ae ≤ U_e the full
capacity) and any y (free, per application) and z ≤ 0 (per expert), every feasible x has

    Σ c·x = Σ (c_ae − y_a − z_e)·x_ae + Σ D_a·y_a + Σ_e z_e·Σ_a x_ae
          ≥ Σ_free min(0, c_ae − y_a − z_e) + Σ_fixed (c_ae − y_a − z_e) + Σ D_a·y_a + Σ U_e·z_e,

since x ∈ [0, 1] and z_e ≤ 0 with Σ_a x_ae ≤ U_e. That right-hand side (weak duality) is the
`bound`, computed in code, so it holds whatever y and z are. They come from the flow's node
potentials: π, the shortest distances in the flow's residual graph from a root joined to every
node at cost 0 (Bellman–Ford over numpy arrays), satisfy π_j ≤ π_i + cost(i → j) on every
residual arc; such distances exist exactly when the residual graph has no negative cycle, that is
when the flow is optimal. With y_a = π_t − π_a and z_e = min(0, π_e − π_t), the reduced cost
c_ae − y_a − z_e is ≥ 0 on unused pairs and ≤ 0 on used ones, an expert with load left has
z_e = 0, and the bound equals the cost: bound = cost proves the assignment optimal. Were the flow
not optimal, Bellman–Ford would not settle, its last potentials would still give a valid bound,
and the gap would show it. Everything is in integers, so the gap is exactly 0.

Most of the pairs are never worth using, so the flow first runs over each application's
shortlist (its best pairs), a fraction of the network. Its duals then price every pair left out:
one of negative reduced cost c − y − z joins and the flow runs again. When none is left the
bound over every pair equals the cost, so the shortlist is exact, not a heuristic; the proof
above does not depend on it.

When the constraints cannot be met, `AssignmentInfeasible` lists why: applications with too few
allowed experts, not enough load in the whole pool, or (found as a minimum cut of the flow network)
a group of applications whose allowed experts together cannot cover them.

Pure Python over numpy, OR-Tools and networkx (the last only to explain infeasibility); no Django,
so tests can compare it with brute force and with the linear programme of `assignment_lp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, TypeAlias

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
    network = _network(problem)
    _check_feasible(problem, network)
    solution = _solved(network)
    if solution is None:
        # The counts allow it but the pairs do not: find the group of applications that is short
        # (only then, since the cut costs more than the solve on large batches).
        group = _hall_violation(problem)
        raise AssignmentInfeasible(
            [group] if group else [],
            total_needed=int(network.demand.sum()),
            total_available=int(network.capacity.sum()),
        )
    return solution


def _solved(network: _Network) -> Solution | None:
    """Return the minimum-cost assignment meeting every demand of the network, or None if none does."""
    import numpy as np

    if not len(network.applications):
        return Solution(pairs=(), cost=0, bound=0.0)
    solved = _solve_priced(network)
    if solved is None:
        return None
    used, y, z = solved
    return Solution(
        pairs=tuple(network.pairs[i] for i in np.flatnonzero(used)),
        cost=int(network.cost[used].sum()),
        bound=_bound(network, y, z),
    )


def solve_most(problem: Problem) -> tuple[Solution, dict[Hashable, int]]:
    """Return the best assignment giving as many reviews as the constraints allow, and the shortfalls.

    When every demand can be met this is `solve`. Otherwise a maximum flow (source → application,
    capacity its demand; application → expert, 1 per allowed pair; expert → sink, its load left)
    finds how many experts each application can have at most together; the minimum-cost
    assignment for those counts is then solved exactly (with its bound), and the rest of each
    application's demand is its shortfall: {application: experts missing}.
    """
    if problem.fixed:
        raise ValueError("solve_most takes no fixed pairs: leave them out and count them in used_load")
    network = _network(problem)
    try:
        _check_feasible(problem, network)
    except AssignmentInfeasible:
        solution = None  # short by counting alone
    else:
        solution = _solved(network)
    if solution is not None:
        return solution, {}
    # Not every demand can be met: no explanation of why (solve's cut) is needed here.
    counts = _most_per_application(problem)
    reachable = Problem(
        demand={a: n for a, n in counts.items() if n > 0},
        experts=problem.experts,
        max_load=problem.max_load,
        costs={pair: cost for pair, cost in problem.costs.items() if counts.get(pair[0], 0) > 0},
        used_load=problem.used_load,
    )
    shortfalls = {a: d - counts.get(a, 0) for a, d in problem.demand.items() if counts.get(a, 0) < d}
    return solve(reachable), shortfalls


def _most_per_application(problem: Problem) -> dict[Hashable, int]:
    """Return how many experts each application gets in the best of the largest assignments.

    A minimum-cost flow where each application may also send its demand straight to the sink at
    a cost `unmet` dearer than any rerouting of pairs could save: the flow first leaves as little
    demand unmet as possible, then, among those counts, takes the best fit.
    """
    import numpy as np
    from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

    network = _network(problem)
    applications, experts = len(network.applications), len(network.experts)
    sink = applications + experts
    # Routing one more review adds k + 1 pairs and drops k (k below the total demand): it changes
    # the cost by at most k times the spread plus the dearest pair, so leaving it unmet costs more.
    spread = int(network.cost.max() - network.cost.min()) if len(network.pairs) else 0
    dearest = max(int(network.cost.max()), 0) if len(network.pairs) else 0
    unmet = spread * int(network.demand.sum()) + dearest + 1
    flow = SimpleMinCostFlow()
    # Each application's unmet arc first, so that arc i says what application i lacks.
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([np.arange(applications), network.application, applications + np.arange(experts)]),
        np.concatenate([np.full(applications, sink), applications + network.expert, np.full(experts, sink)]),
        np.concatenate([network.demand, np.ones(len(network.pairs), dtype=np.int64), network.capacity]),
        np.concatenate([np.full(applications, unmet), network.cost, np.zeros(experts, dtype=np.int64)]),
    )
    flow.set_nodes_supplies(
        np.arange(sink + 1),
        np.concatenate([network.demand, np.zeros(experts, dtype=np.int64), [-network.demand.sum()]]),
    )
    status = flow.solve()
    if status != SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"the minimum-cost flow stopped: {status.name}")
    lacking = flow.flows(np.arange(applications))
    return {
        application: int(demand - short)
        for application, demand, short in zip(network.applications, network.demand, lacking, strict=True)
    }


def dual_values(
    problem: Problem, pairs: tuple[tuple[Hashable, Hashable], ...]
) -> tuple[dict[Hashable, int], dict[Hashable, int]]:
    """Return the duals (y per application, z per expert) read from an assignment's potentials."""
    import numpy as np

    network = _network(problem)
    chosen = set(pairs)
    used = np.array([pair in chosen for pair in network.pairs], dtype=bool) if network.pairs else _empty(bool)
    y, z = _potentials(network, used, np.ones(len(used), dtype=bool))
    return (
        dict(zip(network.applications, y.tolist(), strict=True)),
        dict(zip(network.experts, z.tolist(), strict=True)),
    )


def lower_bound(problem: Problem, y: Mapping[Hashable, float], z: Mapping[Hashable, float]) -> float:
    """Return the lower bound that any duals y and z give on the cost of every assignment."""
    import numpy as np

    network = _network(problem)
    return _bound(
        network,
        np.array([y[a] for a in network.applications], dtype=float),
        np.array([z[e] for e in network.experts], dtype=float),
    )


@dataclass(frozen=True)
class _Network:
    """The problem as arrays: one entry per allowed pair, per application and per expert."""

    applications: list[Hashable]
    experts: tuple[Hashable, ...]
    pairs: list[tuple[Hashable, Hashable]]
    # numpy arrays (typed Any: numpy is imported only when solving).
    application: Any  # the application's index of each pair
    expert: Any  # the expert's index of each pair
    cost: Any
    fixed: Any  # whether each pair is fixed
    demand: Any  # per application, fixed pairs included
    capacity: Any  # per expert: the load left, fixed pairs included

    def fixed_counts(self) -> tuple[Any, Any]:
        """Return how many fixed pairs each application and each expert has."""
        import numpy as np

        return (
            np.bincount(self.application[self.fixed], minlength=len(self.applications)),
            np.bincount(self.expert[self.fixed], minlength=len(self.experts)),
        )


def _network(problem: Problem) -> _Network:
    import numpy as np

    applications = list(problem.demand)
    application_index = {application: i for i, application in enumerate(applications)}
    expert_index = {expert: i for i, expert in enumerate(problem.experts)}
    pairs = list(problem.costs)
    count = len(pairs)
    # map and itemgetter run in C: a Python loop over the pairs would cost more than the flow.
    of_application = map(application_index.__getitem__, map(itemgetter(0), pairs))
    of_expert = map(expert_index.__getitem__, map(itemgetter(1), pairs))
    return _Network(
        applications=applications,
        experts=problem.experts,
        pairs=pairs,
        application=np.fromiter(of_application, np.int64, count),
        expert=np.fromiter(of_expert, np.int64, count),
        # A mapping's values come in the order of its keys.
        cost=np.fromiter(problem.costs.values(), np.int64, count),
        fixed=(
            np.fromiter((pair in problem.fixed for pair in pairs), bool, count)
            if problem.fixed
            else np.zeros(count, dtype=bool)
        ),
        demand=np.fromiter(problem.demand.values(), np.int64, len(applications)),
        capacity=np.fromiter((problem.capacity(e) for e in problem.experts), np.int64, len(problem.experts)),
    )


# Each application's shortlist for the first flow: its best SHORTLIST × demand pairs. With 10,
# batches of the programme's size need no second flow (with 8, one of four tried did, for one pair).
SHORTLIST = 10
# Rounds of adding the pairs the duals price below zero, before the flow takes every pair.
PRICING_ROUNDS = 4


def _solve_priced(network: _Network) -> tuple[Any, Any, Any] | None:
    """Return the pairs used by a minimum-cost flow and its duals y, z; None if no flow exists.

    Most pairs are never worth using: the flow first runs over each application's shortlist (a
    fraction of the pairs, so several times faster), then the duals price every pair left out.
    A left-out pair of negative reduced cost c − y − z could lower the cost: those join and the
    flow runs again. When none is left, the duals are feasible for the whole problem and the
    bound over every pair equals the cost, so the shortlist is exact, not a heuristic.
    """
    import numpy as np

    arcs = _shortlist(network)
    for _round in range(PRICING_ROUNDS + 1):
        used = _min_cost_flow(network, arcs)
        if used is None:
            if arcs.all():
                return None
            # The shortlist may be short where the whole problem is not: take every pair.
            arcs = np.ones(len(arcs), dtype=bool)
            continue
        y, z = _potentials(network, used, arcs)
        missed = ~arcs & (network.cost - y[network.application] - np.minimum(z, 0)[network.expert] < 0)
        if not missed.any():
            return used, y, z
        arcs = arcs | missed if _round < PRICING_ROUNDS - 1 else np.ones(len(arcs), dtype=bool)
    raise AssertionError("the flow over every pair leaves no pair with negative reduced cost")


def _shortlist(network: _Network) -> Any:
    """Return which pairs are among their application's best SHORTLIST × demand (fixed ones too).

    Ties are broken by a scrambled order of the experts, different for each application, so that
    experts equal in fit share the shortlists rather than the first ones taking them all.
    """
    import numpy as np

    count = len(network.pairs)
    if not count:
        return np.zeros(0, dtype=bool)
    scramble = (network.application * 7919 + network.expert * 104729) % 65521
    # One sort on a single integer key (application, then cost's rank, then scramble), several
    # times faster than a lexsort over the three.
    _values, cost_rank = np.unique(network.cost, return_inverse=True)
    order = np.argsort((network.application * (int(cost_rank.max()) + 1) + cost_rank) * 65536 + scramble)
    by_application = network.application[order]
    first = np.searchsorted(by_application, np.arange(len(network.applications)))
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count) - first[by_application]
    return (rank < SHORTLIST * network.demand[network.application]) | network.fixed


def _min_cost_flow(network: _Network, arcs: Any) -> Any:
    """Return which pairs a minimum-cost flow over the given pairs uses, or None if none exists."""
    import numpy as np
    from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

    fixed_per_application, fixed_per_expert = network.fixed_counts()
    supply = network.demand - fixed_per_application
    room = network.capacity - fixed_per_expert
    if (supply < 0).any() or (room < 0).any():
        return None
    applications, experts = len(network.applications), len(network.experts)
    sink = applications + experts
    free = np.flatnonzero(arcs & ~network.fixed)
    flow = SimpleMinCostFlow()
    # Pair arcs first, so that arc i is free pair i; then each expert's arc to the sink.
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([network.application[free], applications + np.arange(experts)]),
        np.concatenate([applications + network.expert[free], np.full(experts, sink)]),
        np.concatenate([np.ones(len(free), dtype=np.int64), room]),
        np.concatenate([network.cost[free], np.zeros(experts, dtype=np.int64)]),
    )
    flow.set_nodes_supplies(
        np.arange(sink + 1), np.concatenate([supply, np.zeros(experts, dtype=np.int64), [-supply.sum()]])
    )
    status = flow.solve()
    if status == SimpleMinCostFlow.INFEASIBLE:
        return None
    if status != SimpleMinCostFlow.OPTIMAL:
        raise RuntimeError(f"the minimum-cost flow stopped: {status.name}")
    used = network.fixed.copy()
    used[free] = flow.flows(np.arange(len(free))) > 0
    return used


def _potentials(network: _Network, used: Any, arcs: Any) -> tuple[Any, Any]:
    """Return duals y (per application) and z (per expert) from the residual graph's distances.

    The residual graph of the flow over the given pairs (`arcs`, a boolean array).

    Bellman–Ford from a root joined to every node at cost 0, by whole rounds over each kind of
    residual arc (numpy), until no distance falls; at most one round per node, which only a flow
    that is not optimal (a negative cycle) would reach.
    """
    import numpy as np

    applications, experts = len(network.applications), len(network.experts)
    _fixed_per_application, fixed_per_expert = network.fixed_counts()
    carried = used & ~network.fixed
    load = np.bincount(network.expert[carried], minlength=experts)
    to_sink = load < network.capacity - fixed_per_expert  # residual e → t: room left
    from_sink = load > 0  # residual t → e: flow to send back
    # Residual e → a on used pairs (cost −c), taken as a minimum per application;
    # residual a → e on unused pairs (cost c), taken as a minimum per expert.
    back = _grouped(network.application[carried], network.expert[carried], -network.cost[carried])
    unused = arcs & ~used
    forward = _grouped(network.expert[unused], network.application[unused], network.cost[unused])
    at_application = np.zeros(applications, dtype=np.int64)
    at_expert = np.zeros(experts, dtype=np.int64)
    at_sink = 0
    for _round in range(applications + experts + 2):
        changed = _relax(at_application, back, at_expert)
        if to_sink.any() and (reach := int(at_expert[to_sink].min())) < at_sink:
            at_sink, changed = reach, True
        lower = from_sink & (at_expert > at_sink)
        if lower.any():
            at_expert[lower], changed = at_sink, True
        changed = _relax(at_expert, forward, at_application) or changed
        if not changed:
            break
    return at_sink - at_application, np.minimum(at_expert - at_sink, 0)


def _grouped(heads: Any, tails: Any, costs: Any) -> tuple[Any, Any, Any, Any]:
    """Sort arcs by head; return the distinct heads, where each one's arcs start, tails, costs."""
    import numpy as np

    order = np.argsort(heads, kind="stable")
    heads = heads[order]
    starts = np.flatnonzero(np.concatenate([[True], heads[1:] != heads[:-1]])) if len(heads) else _empty(int)
    return heads[starts], starts, tails[order], costs[order]


def _relax(distance: Any, arcs: tuple[Any, Any, Any, Any], source: Any) -> bool:
    """Lower `distance` (in place) through the arcs from `source`; return whether any fell."""
    import numpy as np

    heads, starts, tails, costs = arcs
    if not len(heads):
        return False
    reach = np.minimum.reduceat(source[tails] + costs, starts)
    better = reach < distance[heads]
    if not better.any():
        return False
    distance[heads[better]] = reach[better]
    return True


def _bound(network: _Network, y: Any, z: Any) -> float:
    """Return the weak-duality bound for duals y and z (z made ≤ 0 here), per the module docstring."""
    import numpy as np

    z = np.minimum(z, 0)
    reduced = network.cost - y[network.application] - z[network.expert]
    bound = (
        network.demand @ y
        + network.capacity @ z
        + np.minimum(reduced[~network.fixed], 0).sum()
        + reduced[network.fixed].sum()
    )
    return float(bound)


def _empty(dtype: type) -> Any:
    import numpy as np

    return np.zeros(0, dtype=dtype)


def _check_feasible(problem: Problem, network: _Network) -> None:
    """Raise AssignmentInfeasible when counting alone shows the demand cannot be met."""
    import numpy as np

    total_needed = int(network.demand.sum())
    total_available = int(network.capacity.sum())
    open_pairs = network.capacity[network.expert] > 0
    reachable = np.bincount(network.application[open_pairs], minlength=len(network.applications))
    shortages = []
    for index in np.flatnonzero(reachable < network.demand):
        application = network.applications[index]
        shortages.append(
            Shortage(
                applications=frozenset([application]),
                experts=frozenset(
                    network.experts[e] for e in network.expert[network.application == index].tolist()
                ),
                needed=problem.demand[application],
                available=int(reachable[index]),
            )
        )
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
