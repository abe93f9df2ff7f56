"""Benchmarks (python -m bench); not part of the test suite."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping


def median_times(runs: Mapping[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Each run's median time, the runs taking turns (a busy moment slows them alike) after a warm-up each."""
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}
