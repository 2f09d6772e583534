"""Property-based tests (hypothesis) of the pure helpers the model and the study runner rest on.

Each property is stated for all inputs hypothesis generates, not for a few hand-picked examples. Runs are
derandomised (the same examples every run), so a failure is reproducible.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.study.executors import batches
from sim.arrays import count_below, pad8
from sim.city import _largest_remainder
from sim.parameters import PARAMETERS
from sim.population import _bernoulli_mean_preserving
from sim.streams import GroupStreams, GroupUniforms, Streams, replication_seeds

settings.register_profile("welzijnsim", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("welzijnsim")

weights_st = st.lists(st.floats(0.001, 1e6, allow_nan=False), min_size=1, max_size=40).map(np.array)


# ---- largest remainder: integers proportional to weights that sum exactly to the total ------------
@pytest.mark.slow
@given(total=st.integers(0, 10**7), weights=weights_st)
def test_largest_remainder_sums_exactly_and_stays_within_one_of_the_share(total, weights):
    out = _largest_remainder(total, weights)
    exact = total * weights / weights.sum()
    assert out.sum() == total
    assert (out >= 0).all()
    assert np.all(np.abs(out - exact) < 1.0 + 1e-9 * max(total, 1))


# ---- mean-preserving Bernoulli: draws follow the weights but keep the base share ------------------
@given(share=st.floats(0.01, 0.9), spread=st.floats(0.0, 3.0), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40)
def test_bernoulli_mean_preserving_keeps_the_share(share, spread, seed):
    n = 20_000
    rng = np.random.default_rng(seed)
    weights = np.exp(spread * rng.standard_normal(n))
    draws = _bernoulli_mean_preserving(np.random.default_rng(seed + 1), share, weights)
    # The cap (p <= 0.98) can make the share unreachable only if share > 0.98; here it is reachable, so the
    # probabilities average to `share` and the draws are within 5 binomial standard errors of it.
    assert abs(draws.mean() - share) < 5 * math.sqrt(share * (1 - share) / n) + 1e-3


@given(share=st.floats(0.05, 0.5), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=20)
def test_bernoulli_mean_preserving_is_higher_where_the_weight_is_higher(share, seed):
    n = 40_000
    weights = np.repeat([0.5, 2.0], n // 2)
    draws = _bernoulli_mean_preserving(np.random.default_rng(seed), share, weights)
    assert draws[n // 2 :].mean() > draws[: n // 2].mean()


# ---- parameter checks: every value in range passes unchanged, every value outside is refused ---------
NUMERIC = sorted(
    n for n, p in PARAMETERS.items() if p.kind in (int, float) and p.low is not None and p.high is not None
)


@given(name=st.sampled_from(NUMERIC), u=st.floats(0.0, 1.0))
def test_parameter_values_in_range_are_accepted(name, u):
    p = PARAMETERS[name]
    value = p.low + u * (p.high - p.low)
    if p.kind is int:
        value = int(round(value))
    assert p.check(value) == pytest.approx(value)


@given(name=st.sampled_from(NUMERIC), beyond=st.floats(1e-6, 1e6), above=st.booleans())
def test_parameter_values_outside_the_range_are_refused_with_the_range(name, beyond, above):
    p = PARAMETERS[name]
    value = p.high + beyond if above else p.low - beyond
    if p.kind is int:
        value = math.floor(value) if not above else math.ceil(value)
        if p.low <= value <= p.high:
            return
    with pytest.raises(ValueError, match=r"\["):
        p.check(value)


@given(name=st.sampled_from(NUMERIC), bad=st.sampled_from([math.nan, math.inf, -math.inf, "1", None, True]))
def test_parameter_checks_refuse_non_numbers(name, bad):
    with pytest.raises(ValueError):
        PARAMETERS[name].check(bad)


# ---- batching of study tasks: nothing lost, nothing repeated, order kept -------------------------------
@given(
    items=st.lists(st.integers(), max_size=300),
    workers=st.integers(1, 64),
    size=st.one_of(st.none(), st.integers(1, 50)),
)
def test_batches_partition_the_items_in_order(items, workers, size):
    parts = batches(items, workers, size)
    assert [x for part in parts for x in part] == items
    assert all(part for part in parts)
    if size is not None:
        assert all(len(part) <= size for part in parts)


# ---- random streams: named, independent, reproducible ---------------------------------------------------
names_st = st.lists(st.text(min_size=1, max_size=12), min_size=2, max_size=6, unique=True)


@given(seed=st.integers(0, 2**63 - 1), names=names_st)
def test_a_stream_does_not_depend_on_which_other_streams_were_used_first(seed, names):
    a, b = Streams(seed), Streams(seed)
    for name in names:  # a: draw from every stream in order; b: only the last one
        a[name].random(7)
    last = names[-1]
    fresh = Streams(seed)[last].random(7)
    assert not np.array_equal(a[names[0]].random(7), b[names[0]].random(7))  # a's first stream moved on
    assert np.array_equal(b[last].random(7), fresh)


@given(seed=st.integers(0, 2**63 - 1), names=names_st)
def test_different_names_give_different_draws(seed, names):
    s = Streams(seed)
    firsts = {tuple(s[n].random(4)) for n in names}
    assert len(firsts) == len(names)


@given(seed=st.integers(0, 2**63 - 1), n=st.integers(1, 30), extra=st.integers(0, 30))
def test_replication_seeds_keep_their_prefix(seed, n, extra):
    assert replication_seeds(seed, n + extra)[:n] == replication_seeds(seed, n)


@given(seed=st.integers(0, 2**32 - 1), other=st.integers(0, 50), mine=st.integers(1, 50))
def test_group_streams_draws_of_one_group_ignore_the_others(seed, other, mine):
    groups_a = np.array([0] * mine + [1] * other)
    groups_b = np.array([0] * mine)
    a = GroupStreams(Streams(seed), "g", 2).random(groups_a)
    b = GroupStreams(Streams(seed), "g", 2).random(groups_b)
    assert np.array_equal(a[:mine], b)


@given(
    seed=st.integers(0, 2**32 - 1),
    calls=st.lists(st.lists(st.integers(0, 4), max_size=700), max_size=12),
    block=st.sampled_from([1, 7, 64, 1024]),
)
def test_group_uniforms_drawn_ahead_equal_group_streams_drawn_per_call(seed, calls, block):
    plain = GroupStreams(Streams(seed), "g", 5)
    ahead = GroupUniforms(Streams(seed), "g", 5)
    ahead.BLOCK = block  # small blocks: refills inside and across calls
    for groups in calls:
        groups = np.array(groups, dtype=np.int64)
        assert np.array_equal(ahead.random(groups), plain.random(groups))


@given(
    seed=st.integers(0, 2**32 - 1),
    width=st.integers(1, 8),
    n=st.integers(0, 300),
)
def test_count_below_counts_like_a_row_wise_comparison(seed, width, n):
    rng = np.random.default_rng(seed)
    table = np.cumsum(rng.random((5, width)), axis=1)
    rows = pad8(table)[rng.integers(0, 5, n)]
    x = rng.random(n) * 1.2 * rows[:, width - 1]  # some beyond the last entry
    expected = np.count_nonzero(x[:, None] > rows[:, :width], axis=1)
    assert np.array_equal(count_below(x, rows), expected)
