"""The scoring package as a whole: its public names, and its independence from the web app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import scoring

ROOT = Path(__file__).resolve().parents[2]


def test_public_names_are_exported() -> None:
    for name in scoring.__all__:
        assert getattr(scoring, name) is not None
    assert {"Questionnaire", "Answer", "Profile", "get_scorer", "available_scorers"} <= set(scoring.__all__)


def test_scoring_never_imports_assess() -> None:
    code = (
        "import sys, scoring, scoring.builtin, scoring.registry; "
        "scoring.available_scorers(); "
        "leaked = [m for m in sys.modules if m == 'assess' or m.startswith('assess.')]; "
        "assert not leaked, leaked"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
