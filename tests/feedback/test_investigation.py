"""Complaints investigated: entered from the 12345 hotline, routed by the centre to the unit
concerned, concluded (substantiated or not, the category found) and answered — the complainant
reads the answer by the tracking code."""

import pytest
from django.urls import reverse

from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.models import Event
from bangban.feedback import services
from bangban.feedback.models import Channel, Complaint, State
from bangban.org.models import Role
from tests.factories import UserFactory, county_tree

pytestmark = pytest.mark.django_db

COMPLAINT = {
    "category": "illegal_fees",
    "description": "村代办员收取了五十元跑腿费。",
    "contact_name": "王建国",
    "contact_phone": "13812345678",
}


@pytest.fixture
def world():
    tree = county_tree()
    village = tree["villages"][2]  # in the second town
    return {
        "tree": tree,
        "village": village,
        "admin": UserFactory(role=Role.CENTRE_ADMIN, unit=tree["county"]),
        "manager": UserFactory(role=Role.MANAGER, unit=tree["towns"][1]),
        "other_manager": UserFactory(role=Role.MANAGER, unit=tree["towns"][0]),
        "supervisor": UserFactory(role=Role.SUPERVISOR, unit=None),
    }


def test_a_hotline_complaint_routed_concluded_and_answered(client, world):
    client.force_login(world["admin"])
    page = client.get(reverse("feedback:complaint-hotline"))
    assert page.status_code == 200
    response = client.post(reverse("feedback:complaint-hotline"), COMPLAINT | {"unit": ""})
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert complaint.channel == Channel.HOTLINE and complaint.unit is None
    assert Event.objects.get(action="complaint.submit").actor == world["admin"]

    # The point manager of the second town does not see it before it is routed to them.
    url = reverse("feedback:complaint", args=[complaint.pk])
    client.force_login(world["manager"])
    assert client.get(url).status_code == 404

    client.force_login(world["admin"])
    assert 'data-testid="route-form"' in client.get(url).content.decode()
    routed = client.post(
        reverse("feedback:complaint-route", args=[complaint.pk]), {"unit": world["village"].pk}
    )
    assert routed.status_code == 302
    complaint.refresh_from_db()
    assert complaint.unit == world["village"] and complaint.state == State.INVESTIGATING
    assert complaint.routed_by == world["admin"] and complaint.substantiated is None

    # Now the manager sees it, cannot route, and concludes.
    client.force_login(world["manager"])
    text = client.get(url).content.decode()
    assert 'data-testid="conclude-form"' in text and 'data-testid="route-form"' not in text
    assert (
        client.post(
            reverse("feedback:complaint-route", args=[complaint.pk]),
            {"unit": world["village"].pk},
        ).status_code
        == 403
    )
    refused = client.post(
        reverse("feedback:complaint-conclude", args=[complaint.pk]),
        {"substantiated": "", "finding_category": "illegal_fees", "finding": "x"},
    )
    assert refused.status_code == 400
    concluded = client.post(
        reverse("feedback:complaint-conclude", args=[complaint.pk]),
        {"substantiated": "yes", "finding_category": "illegal_fees", "finding": "查实收费五十元。"},
    )
    assert concluded.status_code == 302
    complaint.refresh_from_db()
    assert complaint.substantiated is True and complaint.finding_category == "illegal_fees"
    assert complaint.concluded_at and complaint.concluded_by == world["manager"]
    with pytest.raises(Conflict):
        services.complaint_conclude(
            actor=world["manager"],
            complaint=complaint,
            substantiated=False,
            finding_category="other",
            finding="再次",
        )

    # The answer goes to the complainant, who reads it by the code.
    answered = client.post(url, {"answer": "经查属实，已责令退还费用并通报批评。"})
    assert answered.status_code == 302
    client.logout()
    track = client.get(reverse("complaint-track", args=[complaint.code]))
    assert "经查属实，已责令退还费用并通报批评。" in track.content.decode()
    actions = set(Event.objects.values_list("action", flat=True))
    assert {
        "complaint.submit",
        "complaint.route",
        "complaint.conclude",
        "complaint.answer",
    } <= actions


def test_not_substantiated(world):
    complaint = services.complaint_submit(**COMPLAINT, unit=world["village"])
    services.complaint_conclude(
        actor=world["admin"],
        complaint=complaint,
        substantiated=False,
        finding_category="other",
        finding="经核实，所收为邮寄费，申请人自愿选择邮寄。",
    )
    complaint.refresh_from_db()
    assert complaint.substantiated is False and complaint.finding_category == "other"
    assert complaint.investigating_by == world["admin"]


def test_who_may_route_conclude_and_enter(world):
    complaint = services.complaint_submit(**COMPLAINT, unit=world["village"])
    for actor in (world["manager"], world["supervisor"]):
        with pytest.raises(PermissionDenied):
            services.complaint_route(actor=actor, complaint=complaint, unit=world["village"])
    for actor in (world["other_manager"], world["supervisor"]):
        with pytest.raises(PermissionDenied):
            services.complaint_conclude(
                actor=actor,
                complaint=complaint,
                substantiated=True,
                finding_category="attitude",
                finding="x",
            )
    agent = UserFactory(role=Role.AGENT, unit=world["village"])
    for actor in (agent, world["supervisor"]):
        with pytest.raises(PermissionDenied):
            services.complaint_record_hotline(actor=actor, **COMPLAINT)
    with pytest.raises(ValidationFailed):
        services.complaint_conclude(
            actor=world["admin"],
            complaint=complaint,
            substantiated=True,
            finding_category="nonsense",
            finding="x",
        )
    # A region is no unit to investigate.
    with pytest.raises(ValidationFailed):
        services.complaint_route(actor=world["admin"], complaint=complaint, unit=None)
