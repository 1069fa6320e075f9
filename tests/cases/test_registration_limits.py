"""A value longer than its column is refused with its limit — at the window and on the portal —
never cut short and never a database error."""

import pytest

from bangban.cases import services
from bangban.cases.models import Case
from bangban.core.errors import ValidationFailed
from tests.cases.factories import PERSON, point_with_item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("field", "limit"), [("applicant_name", 100), ("address", 200)])
def test_too_long_applicant_fields_are_refused_whole(field, limit):
    actor, item = point_with_item()
    applicant = {**PERSON, field: "长" * (limit + 1)}
    with pytest.raises(ValidationFailed) as refused:
        services.case_register(
            actor=actor,
            unit=actor.unit,
            kind="assist",
            proxy_scope="",
            channel="window",
            category="personal",
            applicant_type="person",
            applicant=applicant,
            items=[item],
        )
    assert refused.value.field == field
    assert str(limit) in refused.value.message
    assert not Case.objects.exists()
    # At the limit it is kept whole.
    case = services.case_register(
        actor=actor,
        unit=actor.unit,
        kind="assist",
        proxy_scope="",
        channel="window",
        category="personal",
        applicant_type="person",
        applicant={**PERSON, field: "长" * limit},
        items=[item],
    )
    case.refresh_from_db()
    assert getattr(case, field) == "长" * limit
