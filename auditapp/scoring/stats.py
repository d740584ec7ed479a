"""Student's t quantiles and mean intervals in pure Python (no scipy in the scoring layer)."""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from math import exp, fsum, lgamma, log, sqrt

_EPS = 1e-16
_TINY = 1e-300
_MAX_TERMS = 10_000


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz), fast when x < (a+1)/(a+b+2)."""
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, _MAX_TERMS):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            delta = c * d
            result *= delta
        if abs(delta - 1.0) < _EPS:
            return result
    raise ArithmeticError(f"incomplete beta did not converge (a={a}, b={b}, x={x})")


def regularized_beta(a: float, b: float, x: float, y: float) -> float:
    """I_x(a, b), with y = 1 − x passed in separately to keep its precision."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(y))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, y) / b


def t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t ≥ 0."""
    t2 = t * t
    return 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with df degrees of freedom (df may be fractional).

    Cached: a wave's intervals all use the wave's one pooled df, and the bisection costs ~1 ms."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if not df > 0.0:
        raise ValueError(f"df must be positive, got {df}")
    if p == 0.5:
        return 0.0
    # Solve on the smaller tail: 1 − p is exact for p ≥ 0.5, so no precision is lost near 1.
    tail, sign = (1.0 - p, 1.0) if p > 0.5 else (p, -1.0)
    low, high = 0.0, 1.0
    while t_upper_tail(high, df) > tail:
        low, high = high, high * 2.0
    while True:
        middle = (low + high) / 2.0
        if middle <= low or middle >= high:
            return sign * middle
        if t_upper_tail(middle, df) > tail:
            low = middle
        else:
            high = middle


def mean_interval(values: Sequence[float], confidence: float = 0.90) -> tuple[float, float | None, float | None]:
    """(mean, lo, hi): the two-sided Student t interval of the mean; lo/hi are None when n < 2."""
    n = len(values)
    if n == 0:
        raise ValueError("mean of no values")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    mean = fsum(values) / n
    if n < 2:
        return mean, None, None
    sd = sqrt(fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile((1.0 + confidence) / 2.0, n - 1) * sd / sqrt(n)
    return mean, mean - half, mean + half
