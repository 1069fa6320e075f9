"""Document records and the print pages: versions, permissions by role, the personal-data
log, and the case page's print list at a bounded number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bangban.cases import services as case_services
from bangban.cases.workflow import State
from bangban.core.errors import PermissionDenied
from bangban.core.models import Event
from bangban.documents import selectors
from bangban.documents.models import Document, Kind
from bangban.documents.services import document_generate
from bangban.org.models import Role
from tests.documents.conftest import make
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db


def pdf_url(case, kind):
    return reverse("documents:form-pdf", args=[case.pk, kind])


def test_regenerating_after_a_change_makes_a_new_version_and_keeps_the_old(world):
    case = make(world, State.REGISTERED)
    agent = world["agent"]
    first = document_generate(actor=agent, case=case, kind=Kind.REGISTRATION_PERSONAL)
    events = Event.objects.filter(action="document.generate").count()
    # Unchanged: the same record, no new version, no event.
    again = document_generate(actor=agent, case=case, kind=Kind.REGISTRATION_PERSONAL)
    assert again.pk == first.pk
    assert Event.objects.filter(action="document.generate").count() == events
    # The case changes (an agent is dispatched): version 2, version 1 kept and superseded.
    manager = UserFactory(unit=case.unit, role=Role.MANAGER)
    other = UserFactory(unit=case.unit, role=Role.AGENT, full_name="赵代办")
    new_agent = AgentFactory(unit=case.unit, user=other, name="赵代办")
    case_services.case_assign(actor=manager, case=case, revision=case.revision, agent=new_agent)
    case.refresh_from_db()
    second = document_generate(actor=agent, case=case, kind=Kind.REGISTRATION_PERSONAL)
    first.refresh_from_db()
    assert (second.version, second.superseded) == (2, False)
    assert first.superseded
    assert second.content_hash != first.content_hash
    assert len(second.sha256) == 64 and second.sha256 != first.sha256
    assert second.event.action == "document.generate"
    assert second.event.after["version"] == 2
    versions = selectors.documents_for_case(actor=agent, pk=case.pk)
    assert [d.version for d in versions] == [2, 1]
    assert first.file.storage.exists(first.file.name)


def test_the_agent_prints_inline_and_the_download_of_personal_data_is_logged(world, client):
    case = make(world, State.ACCEPTED)
    client.force_login(world["agent"])
    response = client.get(pdf_url(case, "registration_personal"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    reveal = Event.objects.filter(action="personal_data.reveal").get()
    assert reveal.after["kind"] == "registration_personal"
    # The receipt shows no unmasked personal data: no reveal logged.
    assert client.get(pdf_url(case, "acceptance_receipt")).status_code == 200
    assert Event.objects.filter(action="personal_data.reveal").count() == 1
    assert Document.objects.filter(case=case).count() == 2


def test_roles(world, client):
    case = make(world, State.ACCEPTED)
    url = pdf_url(case, "acceptance_receipt")
    tree = world["tree"]
    supervisor = UserFactory(unit=tree["county"], role=Role.SUPERVISOR)
    other_agent = UserFactory(unit=tree["villages"][2], role=Role.AGENT)
    town_manager = UserFactory(unit=tree["towns"][0], role=Role.MANAGER)
    applicant = UserFactory(unit=None, role=Role.APPLICANT)
    # Supervisors may not generate: nothing to open before the agent prints it.
    client.force_login(supervisor)
    assert client.get(url).status_code == 404
    with pytest.raises(PermissionDenied):
        document_generate(actor=supervisor, case=case, kind=Kind.ACCEPTANCE_RECEIPT)
    client.force_login(world["agent"])
    assert client.get(url).status_code == 200
    client.force_login(supervisor)
    assert client.get(url).status_code == 200
    assert Document.objects.count() == 1
    # The tier above works on the case too; another village and the public do not see it.
    client.force_login(town_manager)
    assert client.get(url).status_code == 200
    client.force_login(other_agent)
    assert client.get(url).status_code == 404
    client.force_login(applicant)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_unknown_and_unavailable_forms(world, client):
    case = make(world, State.REGISTERED)
    client.force_login(world["agent"])
    assert client.get(pdf_url(case, "nonsense")).status_code == 404
    assert client.get(pdf_url(case, "acceptance_receipt")).status_code == 409
    assert not Document.objects.exists()


def _print_forms(page: str) -> list[str]:
    return [part.split('"')[0] for part in page.split('data-form="')[1:]]


def test_the_case_page_offers_the_forms_of_its_state(world, client):
    client.force_login(world["agent"])
    expected = {
        State.REGISTERED: ["registration_personal"],
        State.AWAITING_MATERIALS: ["registration_personal", "one_time_notice"],
        # Once the service has ended, the evaluation form goes with the last paper.
        State.REFUSED: ["registration_personal", "refusal_notice", "evaluation_form"],
        State.TERMINATED: ["registration_personal", "termination_forms", "evaluation_form"],
        State.COMPLETED: [
            "registration_personal",
            "acceptance_receipt",
            "completion_notice",
            "evaluation_form",
        ],
    }
    for state, forms in expected.items():
        case = make(world, state)
        page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert _print_forms(page) == forms, state
        for form in forms:
            assert client.get(pdf_url(case, form)).status_code == 200, (state, form)


def test_the_case_page_stays_bounded_with_documents(world, client):
    case = make(world, State.COMPLETED)
    client.force_login(world["agent"])
    url = reverse("cases:detail", args=[case.pk])
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    for kind in ("registration_personal", "acceptance_receipt", "completion_notice"):
        assert client.get(pdf_url(case, kind)).status_code == 200
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    # The record list costs its own query and one for the scans, whatever the number of forms.
    assert len(after) <= len(before) + 1
    assert client.get(pdf_url(case, "evaluation_form")).status_code == 200
    with CaptureQueriesContext(connection) as more:
        assert client.get(url).status_code == 200
    assert len(more) <= len(after)


def test_word_versions_download_for_editing_and_are_versioned_apart(world, client):
    case = make(world, State.ACCEPTED)
    client.force_login(world["agent"])
    url = reverse("documents:form-docx", args=[case.pk, "registration_personal"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'href="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"PK")
    word = Document.objects.get(case=case, format="docx")
    assert (word.kind, word.version) == ("registration_personal", 1)
    assert word.filename.endswith("-v1.docx")
    assert word.event.after["format"] == "docx"
    # The PDF of the same form is its own record, with its own version 1.
    assert client.get(pdf_url(case, "registration_personal")).status_code == 200
    assert Document.objects.get(case=case, format="pdf").version == 1
    # The Word file holds the applicant's full ID: its download is logged.
    assert Event.objects.filter(action="personal_data.reveal", after__document=word.pk).exists()
    # Forms without a Word version say so.
    receipt = reverse("documents:form-docx", args=[case.pk, "acceptance_receipt"])
    assert client.get(receipt).status_code == 409
