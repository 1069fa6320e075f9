"""Document services: generating a form of a case (a new version only when its content changed)
and opening one (logged when it shows unmasked personal data)."""

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.cases.selectors import case_get
from bangban.cases.services import works_on
from bangban.core.errors import PermissionDenied
from bangban.core.events import event_record
from bangban.documents import builders
from bangban.documents.models import Document, Kind
from bangban.documents.rendering import form_hash, render_form, tracking_url
from bangban.org.models import Role


def may_generate(actor, case: Case) -> bool:
    """The case's workers generate its forms; supervisors (and liaisons, who see a case only
    through their department's task) may open what was generated."""
    return actor.role != Role.SUPERVISOR and works_on(actor, case)


@transaction.atomic
def document_generate(*, actor, case: Case, kind: Kind | str) -> Document:
    """The current form of `kind` for the case. When the data it shows is what the latest
    version shows, that version is returned as it is; otherwise a new version is rendered and
    stored, the previous one marked superseded, and one event recorded."""
    kind = Kind(kind)
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if not works_on(actor, case):
        raise PermissionDenied(_("This case is outside your area."))
    # Two prints at once must not both take the next version number.
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("unit", "agent", "created_by")
        .get(pk=case.pk)
    )
    form = builders.build(case, kind)
    url = tracking_url(case.number)
    digest = form_hash(form.template, data=form.data, qr_url=url)
    latest = (
        Document.objects.filter(case=case, kind=kind, superseded=False).order_by("-version").first()
    )
    if latest is not None and latest.content_hash == digest:
        return latest
    pdf = render_form(form.template, data=form.data, qr_url=url, digest=digest)
    version = (
        Document.objects.filter(case=case, kind=kind).aggregate(last=Max("version"))["last"] or 0
    ) + 1
    sha256 = hashlib.sha256(pdf).hexdigest()
    event = event_record(
        actor=actor,
        action="document.generate",
        obj=case,
        after={
            "kind": kind.value,
            "version": version,
            "sha256": sha256,
            "content_hash": digest,
            **(
                {"personal_data": ["id_number", "phone"]} if kind in builders.PERSONAL_KINDS else {}
            ),
        },
    )
    if latest is not None:
        Document.objects.filter(case=case, kind=kind, superseded=False).update(superseded=True)
    document = Document(
        case=case,
        kind=kind,
        version=version,
        sha256=sha256,
        content_hash=digest,
        created_at=event.occurred_at,
        created_by=actor,
        event=event,
    )
    document.file.save(f"{kind.value}-v{version}.pdf", ContentFile(pdf), save=False)
    document.save()
    return document


@transaction.atomic
def document_open(*, actor, document: Document, ip_address: str | None = None) -> Document:
    """Hand a stored form to a user who may see its case. A form
    with the full ID number and phone is a view of unmasked personal data: it is logged."""
    case_get(actor=actor, pk=document.case_id)
    if document.kind in builders.PERSONAL_KINDS:
        event_record(
            actor=actor,
            action="personal_data.reveal",
            obj=document.case,
            after={
                "document": document.pk,
                "kind": document.kind,
                "version": document.version,
                "fields": ["id_number", "phone"],
            },
            ip_address=ip_address,
        )
    return document
