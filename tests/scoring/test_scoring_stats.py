"""Student t quantiles and intervals against table values and closed forms."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditapp.scoring import mean_interval, t_quantile
from auditapp.scoring.stats import t_upper_tail


@pytest.mark.parametrize(("df", "expected"), [
    (1, 6.313751514675),
    (2, 2.919985580),
    (4, 2.131846786),
    (9, 1.833112933),
    (29, 1.699127027),
    (120, 1.657650899),
])
def test_table_values(df: int, expected: float):
    assert t_quantile(0.95, df) == pytest.approx(expected, abs=1e-9)


def test_other_table_values():
    assert t_quantile(0.975, 10) == pytest.approx(2.228138852, abs=1e-9)
    assert t_quantile(0.995, 5) == pytest.approx(4.032142984, abs=1e-9)
    assert t_quantile(0.975, 1000) == pytest.approx(1.962339081, abs=1e-9)


@given(st.floats(0.001, 0.999))
@settings(max_examples=200)
def test_closed_forms_for_one_and_two_degrees_of_freedom(p: float):
    # df = 1 is the Cauchy distribution: tan(π(p − ½)); df = 2: (2p − 1)/√(2p(1 − p))
    assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-9, abs=1e-12)
    assert t_quantile(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-9, abs=1e-12)


@given(st.floats(1e-6, 1 - 1e-6), st.floats(0.5, 500))
@settings(max_examples=200)
def test_symmetric_and_inverse_of_the_tail(p: float, df: float):
    t = t_quantile(p, df)
    assert t_quantile(1 - p, df) == pytest.approx(-t, rel=1e-9, abs=1e-12)
    tail = t_upper_tail(abs(t), df)
    assert tail == pytest.approx(min(p, 1 - p), rel=1e-9)


def test_median_and_monotone():
    assert t_quantile(0.5, 7) == 0.0
    quantiles = [t_quantile(p / 100, 3) for p in range(1, 100)]
    assert quantiles == sorted(quantiles)


@pytest.mark.parametrize(("p", "df"), [(0, 3), (1, 3), (-0.1, 3), (0.9, 0), (0.9, -1), (math.nan, 3)])
def test_invalid_arguments(p: float, df: float):
    with pytest.raises(ValueError):
        t_quantile(p, df)


def test_mean_interval():
    # mean 80, s = √((100 + 0 + 100)/2) = 10, half width = t(0.95, 2)·10/√3
    mean, lo, hi = mean_interval([70, 80, 90])
    half = 2.919985580 * 10 / math.sqrt(3)
    assert mean == 80
    assert lo == pytest.approx(80 - half, abs=1e-8)
    assert hi == pytest.approx(80 + half, abs=1e-8)


def test_mean_interval_other_confidence():
    # 95%: t(0.975, 1) = 12.706204736; values 60, 80: s = √200, half = 12.706204736·√200/√2 = 127.06204736
    mean, lo, hi = mean_interval([60, 80], confidence=0.95)
    assert mean == 70
    assert hi - mean == pytest.approx(127.06204736, abs=1e-7)


def test_mean_interval_small_samples():
    assert mean_interval([72.5]) == (72.5, None, None)
    assert mean_interval([50, 50, 50]) == (50, 50, 50)
    with pytest.raises(ValueError):
        mean_interval([])
    with pytest.raises(ValueError):
        mean_interval([1, 2], confidence=1.0)
