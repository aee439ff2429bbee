"""Which places rose against their own history: more than chance would explain (a one-sided
Poisson test), pure functions. The dashboard says it in plain words and names the test only in its
"How we tell" fold.

A place's baseline is its mean count per window (28 days) over the 13 windows before the latest
(a year). If incidents arrive at that steady rate, the chance of seeing at least the latest window's
count is the Poisson tail P(X >= observed). A place is *rising* when that chance is below 1 % and it
had at least MIN_COUNT incidents: a rise this large would happen by chance in fewer than one of 100
such windows. A baseline of zero counts as half an incident per window, so a new place with a
burst is not flagged from nothing.
"""

import math
from dataclasses import dataclass

WINDOW_DAYS = 28
HISTORY_WINDOWS = 13
SIGNIFICANCE = 0.01
MIN_COUNT = 5
ZERO_BASELINE = 0.5


def poisson_tail(observed: int, mean: float) -> float:
    """P(X >= observed) for X ~ Poisson(mean), summed exactly (no normal approximation)."""
    if observed <= 0:
        return 1.0
    term = math.exp(-mean)
    below = term
    for k in range(1, observed):
        term *= mean / k
        below += term
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class Rise:
    place: str
    observed: int
    baseline: float
    p_value: float

    @property
    def rising(self) -> bool:
        return self.observed >= MIN_COUNT and self.p_value < SIGNIFICANCE

    @property
    def ratio(self) -> float:
        return self.observed / max(self.baseline, ZERO_BASELINE)


def rise_against_history(place: str, history: list[int], observed: int) -> Rise:
    """``history``: the counts of the windows before the latest; ``observed``: the latest's."""
    baseline = sum(history) / len(history) if history else 0.0
    return Rise(place, observed, round(baseline, 2), poisson_tail(observed, max(baseline, ZERO_BASELINE)))
