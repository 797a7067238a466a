"""Ground truth for the example: every annotated N+1 really runs more queries with more rows,
and every `_fixed` twin runs the same number of queries whatever the row count, with the same
result."""

import inspect

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

import expectations
from bookshop_cases import CASES, NOT_N_PLUS_ONE

FEW, MANY = 2, 20
# Modules whose N+1s sit in templates: their twins are in test_truth_templates.py.
TEMPLATE_MODULES = {"catalog.pages"}


def key(fn):
    fn = inspect.unwrap(fn)
    return (fn.__module__, fn.__qualname__)


def invoke(fn, variant, instance):
    """Run a view through the test client (GET parameters = variant), or call a function
    (keyword arguments = variant). Returns something comparable: the body, or the result."""
    if fn.__module__.endswith(".views"):
        url = reverse(f"{fn.__module__.split('.')[0]}:{fn.__name__}")
        routed = resolve(url).func
        assert key(routed) == key(fn), f"{url} routes to {key(routed)}, not to {key(fn)}"
        response = Client().get(url, variant)
        assert response.status_code == 200, f"GET {url} {variant}: {response.status_code}"
        return response.content.decode()
    args = () if instance is None else (instance,)
    return fn(*args, **variant)


def measure(seeded, fn, rows, variant, make_instance=None):
    """(number of queries, result) of one run on a database of `rows` rows of everything."""
    with seeded(rows):
        instance = make_instance() if make_instance else None
        with CaptureQueriesContext(connection) as queries:
            result = invoke(fn, variant, instance)
    return len(queries), result


def counts(seeded, fn, variant, make_instance=None):
    few, _ = measure(seeded, fn, FEW, variant, make_instance)
    many, _ = measure(seeded, fn, MANY, variant, make_instance)
    return few, many


by_case = pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])


@by_case
def test_n_plus_one_grows_with_rows(seeded, case):
    seen = {}
    for variant in case.variants:
        seen[str(variant)] = counts(seeded, case.n_plus_one, variant, case.instance)
    # At least one query per extra row on some path.
    assert any(many - few >= MANY - FEW for few, many in seen.values()), (
        f"{case.id} does not grow with rows ({FEW} rows, {MANY} rows) per variant: {seen}"
    )


@by_case
def test_fixed_twin_is_flat(seeded, case):
    for variant in case.variants:
        few, many = counts(seeded, case.fixed, variant, case.instance)
        assert few == many, (
            f"{key(case.fixed)} {variant}: {few} queries with {FEW} rows, {many} with {MANY}"
        )


@by_case
def test_fixed_twin_gives_the_same_result(seeded, case):
    for variant in case.variants:
        _, expected = measure(seeded, case.n_plus_one, 5, variant, case.instance)
        _, actual = measure(seeded, case.fixed, 5, variant, case.instance)
        assert actual == expected


@pytest.mark.parametrize("fn", [pytest.param(f, id=f.__name__) for f in NOT_N_PLUS_ONE])
def test_not_an_n_plus_one_is_flat(seeded, fn):
    few, many = counts(seeded, fn, {})
    assert few == many, f"{key(fn)}: {few} queries with {FEW} rows, {many} with {MANY}"


def diff(expected, actual, missing="missing", unexpected="unexpected"):
    """Readable difference of two {key: codes} maps."""
    lines = [f"  {missing}: {k} {sorted(expected[k])}" for k in sorted(set(expected) - set(actual))]
    lines += [
        f"  {unexpected}: {k} {sorted(actual[k])}" for k in sorted(set(actual) - set(expected))
    ]
    lines += [
        f"  codes differ: {k} annotated {sorted(expected[k])}, registered {sorted(actual[k])}"
        for k in sorted(set(expected) & set(actual))
        if expected[k] != actual[k]
    ]
    return "\n".join(lines)


def test_registry_covers_every_annotated_function():
    annotated = expectations.annotated_functions()
    registered = {key(c.n_plus_one): c.codes for c in CASES}
    assert len(registered) == len(CASES), "a function is registered twice"
    assert registered == annotated, (
        "`# expect:` annotations in examples/bookshop vs tests/python/bookshop_cases.py:\n"
        + diff(annotated, registered, "annotated, not registered", "registered, not annotated")
    )


def test_every_case_has_a_twin_named_fixed():
    annotated = expectations.annotated_functions()
    for c in CASES:
        module, qualname = key(c.n_plus_one)
        assert key(c.fixed) == (module, qualname + "_fixed"), (
            f"the twin of {module}.{qualname} must be {qualname}_fixed beside it, "
            f"not {key(c.fixed)}"
        )
        assert key(c.fixed) not in annotated, f"the twin {key(c.fixed)} carries annotations"


def test_every_fixed_function_is_a_registered_twin():
    defined = {
        (f.module, f.qualname)
        for path in expectations.example_files()
        for f in expectations.functions_in(path)
        if f.name.endswith("_fixed") and f.module not in TEMPLATE_MODULES
    }
    twins = {key(c.fixed) for c in CASES}
    assert defined == twins, diff(
        dict.fromkeys(defined, ()),
        dict.fromkeys(twins, ()),
        "defined in the example, not registered",
        "registered, not defined",
    )


def test_annotations_name_known_codes():
    known = {"QS101", "QS102", "QS103", "QS104", "QS105", "QS106", "QS107", "QS108"}
    used = {code for _, _, code in expectations.all_annotations()}
    assert used <= known
    # The example shows every code at least once.
    assert used == known, f"codes with no case: {sorted(known - used)}"


def test_negative_cases_are_not_annotated():
    annotated = expectations.annotated_functions()
    for fn in NOT_N_PLUS_ONE:
        assert key(fn) not in annotated
