"""Timing helpers shared by the benchmarks: percentiles and the "name value unit" lines."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable


def timings_ms(function: Callable[[object], object], inputs: Iterable[object], *, warmup: int = 20) -> list[float]:
    inputs = list(inputs)
    for item in inputs[:warmup]:
        function(item)
    result = []
    for item in inputs:
        started = time.perf_counter()
        function(item)
        result.append((time.perf_counter() - started) * 1000)
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(name: str, values: list[float]) -> dict[str, float]:
    figures = {f"{name}_p{p}": percentile(values, p) for p in (50, 95, 99)}
    for key, value in figures.items():
        line(key, value, "ms")
    line(f"{name}_mean", statistics.fmean(values), "ms")
    return figures


def line(name: str, value: float, unit: str) -> None:
    print(f"{name} {value:.2f} {unit}", flush=True)
