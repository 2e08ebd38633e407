"""The surge rule of the early warning (矛盾排查预警), pure: no database, so it is tested on years of
synthetic counts.

For one topic in one place: ``observed`` residents in the last 7 days against ``baseline``, the
residents of each of the B calendar weeks before. Under "nothing changed", the window's count and the
baseline weeks are Poisson with the same weekly rate λ, the window's scaled by ``season`` (how much the
other places of the district moved on the same topic, their median: a Spring Festival peak of wage questions everywhere lifts
the expectation of every township). Conditional on the total n = observed + Σbaseline, the window's
count is Binomial(n, s / (s + B)) (the standard exact test comparing two Poisson rates; it accounts for
the baseline being an estimate too). A surge fires when all three hold:

  p = P(X >= observed) < alpha,  observed >= min_residents,  observed >= min_ratio × expected,

with expected = s × (Σbaseline + 0.5) / B. ``season`` is never below 1 (a district-wide drop, the
holiday week itself, must not make an ordinary week look like a surge)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    alpha: float = 1e-4
    min_residents: int = 5
    min_ratio: float = 2.0

    def describe(self, weeks: int) -> str:
        return (f"近7天人数与前{weeks}周基线比较（按全区其他地区同期变化校正季节）："
                f"单侧精确检验 p<{self.alpha:g}，且不少于{self.min_residents}人、不低于预期的{self.min_ratio:g}倍")


@dataclass(frozen=True)
class Verdict:
    fires: bool
    expected: float
    p_value: float
    season: float


def binom_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space (n is at most a few thousand)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    if p >= 1.0:
        return 1.0
    if p <= 0.0:
        return 0.0
    lp, lq = math.log(p), math.log1p(-p)
    terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * lp + (n - i) * lq
             for i in range(k, n + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def season_factor(others: list[tuple[int, list[int]]]) -> float:
    """How much the rest of the district moved on this topic, at least 1: the median over the other
    places (with a weekly mean of at least one resident) of (now + 1) / (weekly mean + 1), so one
    other place's own surge does not move it; with fewer than 3 such places, the pooled ratio."""
    ratios, now_sum, mean_sum = [], 0, 0.0
    for now, base in others:
        if not base:
            continue
        mean = sum(base) / len(base)
        now_sum, mean_sum = now_sum + now, mean_sum + mean
        if mean >= 1.0:
            ratios.append((now + 1.0) / (mean + 1.0))
    if len(ratios) >= 3:
        ratios.sort()
        mid = len(ratios) // 2
        value = ratios[mid] if len(ratios) % 2 else (ratios[mid - 1] + ratios[mid]) / 2
    else:
        value = (now_sum + 1.0) / (mean_sum + 1.0)
    return max(1.0, value)


def judge(observed: int, baseline: list[int], *, rule: Rule, season: float = 1.0) -> Verdict:
    weeks = len(baseline)
    if weeks == 0:  # no history yet: no baseline, no warning
        return Verdict(False, 0.0, 1.0, season)
    total = sum(baseline)
    s = max(1.0, season)
    expected = s * (total + 0.5) / weeks
    p = binom_sf(observed, observed + total, s / (s + weeks))
    fires = observed >= rule.min_residents and observed >= rule.min_ratio * expected and p < rule.alpha
    return Verdict(fires, round(expected, 2), p, round(s, 3))
