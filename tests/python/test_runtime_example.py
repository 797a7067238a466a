"""End to end at run time: the example's views and functions run under a querysight scope (the
views through Django's test client) — every N+1 is reported with its relation and fix, every
`_fixed` twin is clean. Writes per row (QS107) are not runtime N+1s by default (the detector
groups SELECTs; `include_writes` is off), so those cases are left to the static checker."""

import pytest

import querysight
from bookshop_cases import CASES
from test_truth import invoke

ROWS = 5
RUNTIME_CASES = [c for c in CASES if "QS107" not in c.codes]


def run(seeded, fn, variant, make_instance):
    with seeded(ROWS):
        instance = make_instance() if make_instance else None
        with querysight.scope(mode="log", report=False) as s:
            invoke(fn, variant, instance)
    return [f for f in s.findings if f.kind == "n_plus_one"]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in RUNTIME_CASES])
def test_runtime_reports_the_n_plus_one(seeded, case):
    # A static finding may sit on one branch only (`book_authors`): some variant must show it.
    findings = [f for variant in case.variants for f in run(seeded, case.n_plus_one, variant, case.instance)]
    assert findings, f"{case.id}: no N+1 reported at run time"
    for finding in findings:
        assert finding.fix, finding
        assert finding.count >= ROWS - 1, finding


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in RUNTIME_CASES])
def test_runtime_finds_nothing_in_the_fixed_twin(seeded, case):
    for variant in case.variants:
        findings = run(seeded, case.fixed, variant, case.instance)
        assert findings == [], f"{case.id} fixed {variant}: " + "\n".join(f.describe() for f in findings)
