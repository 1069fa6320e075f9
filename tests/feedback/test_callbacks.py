"""Monthly callback samples (回访抽样): reproducible from the stored seed, capped by the
population, one per unit and month, and each call recorded with five-level satisfaction."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from freezegun import freeze_time

from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.models import Event
from bangban.feedback import followup
from bangban.feedback.models import Callback, CallbackSample
from bangban.org.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
OCTOBER = date(2026, 10, 1)


@pytest.fixture
def finished(point):
    """Eight cases of the point finished in October 2026, one in September, and one in
    October that was terminated (not finished: never drawn)."""
    with freeze_time(datetime(2026, 10, 14, 10, 0, tzinfo=TZ)):
        october = [point.case("delivered") for _ in range(6)]
        october.append(point.case("completed"))
        october.append(point.case("archived"))
        point.case("terminated")
    with freeze_time(datetime(2026, 9, 15, 10, 0, tzinfo=TZ)):
        point.case("delivered")
    return sorted(c.pk for c in october)


def test_the_population_is_the_months_finished_cases(point, finished):
    assert followup.finished_cases(point.unit, OCTOBER) == finished
    assert followup.finished_cases(point.unit, date(2026, 10, 20)) == finished


def test_the_same_seed_draws_the_same_cases(point, finished):
    first = followup.draw(finished, 4, 20261001)
    assert followup.draw(list(reversed(finished)), 4, 20261001) == first
    assert len(set(first)) == 4 and set(first) <= set(finished)
    others = {tuple(followup.draw(finished, 4, seed)) for seed in range(20)}
    assert len(others) > 1  # different seeds: (typically) different draws

    sample = followup.callback_sample_draw(
        actor=point.admin, unit=point.unit, month=date(2026, 10, 17), size=4, seed=20261001
    )
    assert sample.month == OCTOBER and sample.seed == 20261001
    assert sample.case_ids == first and sample.population == 8
    assert sorted(sample.callbacks.values_list("case_id", flat=True)) == sorted(first)
    # Drawn again from the stored seed over the same population: the same cases.
    assert followup.draw(followup.finished_cases(point.unit, sample.month), 4, sample.seed) == (
        sample.case_ids
    )
    event = Event.objects.get(action="callback.sample")
    assert event.after["seed"] == 20261001 and event.after["cases"] == first


def test_the_size_is_capped_by_the_population_and_defaults_to_the_setting(
    point, finished, settings
):
    settings.BANGBAN_CALLBACK_SAMPLE_SIZE = 20
    sample = followup.callback_sample_draw(actor=point.admin, unit=point.unit, month=OCTOBER)
    assert sample.size == 20 and sorted(sample.case_ids) == finished
    # A random seed was chosen and stored.
    assert sample.seed is not None
    assert followup.draw(finished, 20, sample.seed) == sample.case_ids
    # One sample per unit and month.
    with pytest.raises(Conflict):
        followup.callback_sample_draw(actor=point.admin, unit=point.unit, month=OCTOBER)
    # An empty month draws nothing; a future month is refused.
    empty = followup.callback_sample_draw(
        actor=point.admin, unit=point.unit, month=date(2026, 8, 1), size=3
    )
    assert empty.case_ids == [] and empty.population == 0
    with pytest.raises(ValidationFailed):
        followup.callback_sample_draw(
            actor=point.admin, unit=point.unit, month=date(2027, 1, 1), size=3
        )


def test_who_may_draw(point, finished):
    for actor in (point.manager, point.agent, UserFactory(role=Role.SUPERVISOR, unit=None)):
        with pytest.raises(PermissionDenied):
            followup.callback_sample_draw(actor=actor, unit=point.unit, month=OCTOBER, size=2)
    stranger = type(point)().admin  # the centre of another county
    with pytest.raises(PermissionDenied):
        followup.callback_sample_draw(actor=stranger, unit=point.unit, month=OCTOBER, size=2)
    assert not CallbackSample.objects.exists()


def test_draw_and_record_the_calls_through_the_pages(client, point, finished):
    client.force_login(point.admin)
    page = client.get(reverse("feedback:samples"))
    assert page.status_code == 200 and 'data-testid="sample-form"' in page.content.decode()
    response = client.post(
        reverse("feedback:samples"),
        {"unit": point.unit.pk, "month": "2026-10", "size": "3", "seed": "42"},
    )
    sample = CallbackSample.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:sample", args=[sample.pk])
    assert sample.case_ids == followup.draw(finished, 3, 42)
    text = client.get(response["Location"]).content.decode()
    assert '<code data-testid="sample-seed">42</code>' in text

    first, second = sample.callbacks.order_by("pk")[:2]
    ok = client.post(
        response["Location"],
        {"callback": first.pk, "reached": "yes", "satisfaction": "5", "remarks": "很满意"},
    )
    assert ok.status_code == 302
    first.refresh_from_db()
    assert (first.reached, first.satisfaction, first.remarks) == (True, 5, "很满意")
    assert first.called_by == point.admin and first.called_at

    # Not reached: no level; it may be called again.
    client.post(response["Location"], {"callback": second.pk, "reached": "no"})
    second.refresh_from_db()
    assert second.reached is False and second.satisfaction is None
    bad = client.post(
        response["Location"], {"callback": second.pk, "reached": "yes", "satisfaction": ""}
    )
    assert bad.status_code == 400
    with pytest.raises(Conflict):
        followup.callback_record(actor=point.admin, callback=first, reached=True, satisfaction=3)
    assert Event.objects.filter(action="callback.record").count() == 2

    # The unit's manager reads the sample but cannot record the calls.
    client.force_login(point.manager)
    assert client.get(response["Location"]).status_code == 200
    refused = client.post(
        response["Location"], {"callback": second.pk, "reached": "yes", "satisfaction": "4"}
    )
    assert refused.status_code == 403
    assert Callback.objects.filter(reached=True).count() == 1
