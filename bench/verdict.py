"""The web benchmark's targets (issue 13), each judged met or missed, and a profile of any page that misses one.

A profile is taken in-process with cProfile over repeated requests through Flask's test client on
the same database: where the page's own time goes, by package (assess, jinja2, sqlalchemy, the
database driver, ...), and the costliest functions of assess itself, so a missed target comes with
the evidence of why.
"""

from __future__ import annotations

import cProfile
import pstats
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

#: Each target is judged at the most clients the benchmark runs.
JUDGED_AT = 16


@dataclass(frozen=True)
class Measured:
    """What the benchmark measured of one page at JUDGED_AT clients."""

    share: float  # throughput as a share of the bare endpoint's
    p95_ms: float
    cpu_ms: float
    sql: int


@dataclass(frozen=True)
class Target:
    """A figure a page must reach, as the issue states it."""

    page: str
    wording: str
    met: Callable[[Measured], bool]


TARGETS = (
    Target("question (section) page", ">= 12% of bare throughput", lambda m: m.share >= 0.12),
    Target("question (section) page", "at most 3 SQL statements", lambda m: m.sql <= 3),
    Target("task list", ">= 12% of bare throughput", lambda m: m.share >= 0.12),
    Target("task list", "at most 3 SQL statements", lambda m: m.sql <= 3),
    Target("save a section", ">= 20% of bare throughput", lambda m: m.share >= 0.20),
    Target("save a section", "p95 under 50 ms", lambda m: m.p95_ms < 50),
    Target("profile (HTML)", "under 10 ms of server CPU", lambda m: m.cpu_ms < 10),
)


def judge(measured: dict[str, Measured]) -> list[str]:
    """Print each target as met or missed; return the pages that missed one."""
    print(f"\nTargets at {JUDGED_AT} clients")
    missed: list[str] = []
    for target in TARGETS:
        if target.page not in measured:  # not asked for (--pages)
            continue
        figures = measured[target.page]
        ok = target.met(figures)
        print(f"  {'met   ' if ok else 'MISSED'}  {target.page:<26}{target.wording:<30}"
              f"(share {figures.share:.2%}, p95 {figures.p95_ms:.0f} ms, CPU {figures.cpu_ms:.1f} ms, "
              f"{figures.sql} SQL)")
        if not ok and target.page not in missed:
            missed.append(target.page)
    return missed


#: Packages a profile groups the time by (the first that a function's file path names).
PACKAGES = ("assess", "scoring", "jinja2", "markupsafe", "sqlalchemy", "psycopg", "sqlite3", "werkzeug", "flask_wtf",
            "wtforms", "flask", "itsdangerous", "cryptography", "json", "logging")


def _package(filename: str) -> str:
    if "/templates/" in filename:  # compiled Jinja templates carry their source's path
        return "templates"
    for package in PACKAGES:
        if f"/{package}/" in filename or filename.endswith(f"/{package}.py"):
            return package
    return "built-ins" if filename.startswith(("~", "<")) else "other"


def profile(name: str, request: Callable[[], object], times: int = 60, shown: int = 12) -> None:
    """Profile ``times`` calls of ``request`` (after one to warm caches) and print where the time goes."""
    request()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        request()
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    own_time: dict[str, float] = defaultdict(float)
    for (filename, _line, _function), (_calls, _primitive, own, _cumulative, _callers) in entries.items():
        own_time[_package(filename)] += own
    total = sum(own_time.values())
    print(f"\nProfile of {name}: {total / times * 1000:.1f} ms a request in-process (under cProfile), by package:")
    for package, seconds in sorted(own_time.items(), key=lambda item: -item[1]):
        if seconds / total >= 0.01:
            print(f"  {package:<14}{seconds / total:>7.1%}")
    print("  costliest functions of assess (time including what they call):")
    ours = sorted(((cumulative, f"{filename.split('/assess/', 1)[-1]}:{line} {function}")
                   for (filename, line, function), (_c, _p, _own, cumulative, _callers) in entries.items()
                   if "/assess/" in filename and "/templates/" not in filename), reverse=True)
    for cumulative, where in ours[:shown]:
        print(f"  {cumulative / total:>7.1%}  {where}")
