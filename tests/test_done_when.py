"""Issue 2's "done when" cases: 4 -> 3 at 1,000 and 784 -> 10 at 100,000, depths 1..12, exact.

Every stated fact is checked against an independent method: depth 1 by its closed form,
depth 2 by solving for b2, depth 3 by solving for b3, deeper depths by a forward bitset DP
written in tests/reference.py (reachable at the reported spread, unreachable one below).
"""

from __future__ import annotations

import pytest
from reference import exact_within_spread, plain_count

from cpshape.result import Report, Status
from cpshape.solver import solve
from cpshape.spec import Problem, SolverSettings

DONE_WHEN = [(4, 3, 1000), (784, 10, 100_000)]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("a", "c", "params"), DONE_WHEN)
def test_done_when_depths_1_to_12(a: int, c: int, params: int, bias: bool) -> None:
    report = solve(Problem(a, c, params, tuple(range(1, 13)), bias=bias))
    assert [r.depth for r in report.results] == list(range(1, 13))
    first, *rest = report.results
    assert first.status is Status.INFEASIBLE and first.widths is None
    assert first.nearest is not None
    below, above = first.nearest
    assert below is not None and above is not None and below < params < above
    # Depth 1 counts are b * (a + c + bias) + bias * c; both nearest counts are of that form ...
    step, offset = a + c + int(bias), c * int(bias)
    assert (below - offset) % step == 0 and (above - offset) % step == 0
    # ... and consecutive: nothing achievable lies strictly between them (so none between them and P).
    assert above - below == step
    assert plain_count(a, ((below - offset) // step,), c, bias) == below
    for r in rest:
        assert r.status is Status.OPTIMAL and r.proof
        assert r.params == params and r.deviation == 0
        assert r.widths is not None and plain_count(a, r.widths, c, bias) == params


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("a", "c", "params"), DONE_WHEN)
def test_done_when_spreads_are_least(a: int, c: int, params: int, bias: bool) -> None:
    """Every depth's spread checked independently: reachable at that spread, not one below."""
    report = solve(Problem(a, c, params, tuple(range(2, 13)), bias=bias))
    for r in report.results:
        s = r.spread
        assert s is not None
        if r.depth == 2:
            assert r.widths == depth_two_least_spread(a, c, params, bias)
            continue
        assert exact_within_spread(a, c, bias, r.depth, params, s)
        assert s == 0 or not exact_within_spread(a, c, bias, r.depth, params, s - 1), (r.depth, s)


def depth_two_least_spread(a: int, c: int, params: int, bias: bool) -> tuple[int, int]:
    """Depth 2 by its closed form: for each b1 the count is linear in b2."""
    found = []
    for b1 in range(1, params // a + 1):
        rest = params - a * b1 - int(bias) * (b1 + c)
        b2, left = divmod(rest, b1 + c + int(bias))
        if b2 >= 1 and not left:
            found.append((abs(b1 - b2), (b1, b2)))
    return min(found)[1]


def depth_three_reaches(a: int, c: int, params: int, bias: bool, spread: int) -> bool:
    """Some depth-3 shape with spread <= ``spread`` counts exactly ``params`` (b3 solved per b1, b2)."""
    k = int(bias)
    for b2 in range(1, params // a + spread + 2):
        for b1 in range(max(1, b2 - spread), b2 + spread + 1):
            rest = params - a * b1 - b1 * b2 - k * (b1 + b2 + c)
            b3, left = divmod(rest, b2 + c + k)
            if not left and b3 >= 1 and max(b1, b2, b3) - min(b1, b2, b3) <= spread:
                return True
    return False


def test_done_when_stated_spreads() -> None:
    no_bias = solve(Problem(784, 10, 100_000, tuple(range(2, 13)), bias=False))
    assert no_bias.by_depth(2).widths == (70, 564)
    for m in range(3, 13):
        spread = no_bias.by_depth(m).spread
        assert spread is not None and spread <= 6
    (with_bias,) = solve(Problem(784, 10, 100_000, (3,))).results
    assert with_bias.spread == 27 and with_bias.params == 100_000
    assert depth_three_reaches(784, 10, 100_000, True, 27)
    assert not depth_three_reaches(784, 10, 100_000, True, 26)
    spread3 = no_bias.by_depth(3).spread
    assert spread3 is not None
    assert depth_three_reaches(784, 10, 100_000, False, spread3)
    assert spread3 == 0 or not depth_three_reaches(784, 10, 100_000, False, spread3 - 1)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    ("a", "c", "params"), [(4, 3, 1000), pytest.param(784, 10, 100_000, marks=pytest.mark.slow)]
)
def test_done_when_cp_sat_path_agrees(a: int, c: int, params: int, bias: bool) -> None:
    p = Problem(a, c, params, tuple(range(1, 13)), bias=bias)
    by_dp, by_cp = solve(p), solve(p, SolverSettings(dp_work=0))

    def key(report: Report) -> list[tuple[object, ...]]:
        return [(r.depth, r.status, r.widths, r.params, r.nearest) for r in report.results]

    assert key(by_dp) == key(by_cp)
