"""Cross-validated accuracy on the dev calls must not fall below the figures the README states.

The README's table is printed from eval/cv-dev.json (scripts/cv_dev.py --readme); this test
re-runs the cross-validation and fails when any label's F1, turn or call level, drops more
than 0.02 below the committed figure.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 0.02


def _cv_module():
    spec = importlib.util.spec_from_file_location("cv_dev", ROOT / "scripts" / "cv_dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cv_regression_readme_prints_the_committed_figures():
    committed = json.loads((ROOT / "eval" / "cv-dev.json").read_text())
    readme = (ROOT / "README.md").read_text()
    assert _cv_module().readme_table(committed) in readme


@pytest.mark.slow
def test_cv_regression_f1_holds_on_the_dev_set():
    committed = json.loads((ROOT / "eval" / "cv-dev.json").read_text())
    current, _ = _cv_module().cross_validate(committed["folds"])
    drops = []
    for level in ("turn_level", "call_level"):
        for label, figures in committed[level].items():
            now = current[level][label]["f1"]
            if now < figures["f1"] - TOLERANCE:
                drops.append(f"{level} {label}: {now:.3f} < {figures['f1']:.3f} - {TOLERANCE}")
    assert not drops, "cross-validated F1 fell: " + "; ".join(drops)
