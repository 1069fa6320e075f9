"""The fuzzed API (issue 9): schemathesis sends generated requests, valid and invalid, to every
operation of the published OpenAPI schema, authenticated as each role (and as no one), on a
county with cases in every state. No answer may be a 5xx, and every answer must be what the
schema declares (status code, content type, body). Bounded here by BANGBAN_FUZZ_EXAMPLES
examples per operation (derandomized, so a failure replays); `make fuzz` runs many more. The
engine and the county are in `tests/security/fuzzing.py`."""

import os

import pytest

from tests.security import fuzzing

EXAMPLES = int(os.environ.get("BANGBAN_FUZZ_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def app():
    return fuzzing.make_app()


@pytest.fixture(scope="module")
def schema(app):
    """Generated once: the schema view reads no data."""
    return fuzzing.load_schema(app)


@pytest.mark.django_db
@pytest.mark.parametrize("role", fuzzing.ROLES)
def test_every_operation_as_each_role_answers_as_the_schema_says(role, app, schema):
    world = fuzzing.build_world()
    reports = fuzzing.fuzz_role(app, schema, world, role, examples=EXAMPLES)
    assert len(reports) == fuzzing.operation_count(schema) >= 40
    # Every operation was really called, not skipped by an unsatisfiable strategy.
    assert all(report.calls >= 1 for report in reports), [
        report.operation for report in reports if not report.calls
    ]
    failures = fuzzing.summary(reports)
    assert not failures, failures
