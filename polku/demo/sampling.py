"""Deterministic sampling: exact-proportion decks, skewed durations and business days."""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Mapping
from datetime import date, timedelta
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


def allocate(total: int, weights: Mapping[T, float]) -> dict[T, int]:
    """Split `total` by `weights` with the largest-remainder method (counts sum to `total`)."""
    weight_sum = sum(weights.values())
    exact = {key: total * weight / weight_sum for key, weight in weights.items()}
    counts = {key: math.floor(value) for key, value in exact.items()}
    remainders = sorted(exact, key=lambda key: (counts[key] - exact[key], str(key)))
    for key in remainders[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


class Deck(Generic[T]):
    """Draws in exact proportions: every `size` draws hold each option its share, shuffled.

    A calibrated share (40 % of coaching clients employed) then holds within a few points even
    for the 20–80 clients of one team, instead of drifting with independent coin flips.
    """

    def __init__(self, rng: random.Random, weights: Mapping[T, float], size: int = 100) -> None:
        self._rng = rng
        self._counts = allocate(size, weights)
        self._cards: list[T] = []

    def draw(self) -> T:
        if not self._cards:
            self._cards = [key for key, count in self._counts.items() for _ in range(count)]
            self._rng.shuffle(self._cards)
        return self._cards.pop()


def lognormal_days(rng: random.Random, median: float, sigma: float, cap: float) -> int:
    """A right-skewed duration in whole days (waits: most short, a long tail)."""
    return max(0, min(round(rng.lognormvariate(math.log(median), sigma)), round(cap)))


def workday(day: date) -> date:
    """The day itself, or the Monday after when it falls on a weekend (monotone)."""
    weekday = day.weekday()
    return day + timedelta(days=7 - weekday) if weekday >= 5 else day


def chance(rng: random.Random, probability: float) -> bool:
    return rng.random() < probability


def weighted(rng: random.Random, weights: Mapping[T, float]) -> T:
    """One independent weighted draw (for choices no seed calibrates)."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]
