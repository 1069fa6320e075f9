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
from bangban.cases.workflow import State
from bangban.core.errors import Conflict, PermissionDenied
from bangban.core.events import event_record
from bangban.documents import builders
from bangban.documents.docx import DOCX_KINDS, render_docx
from bangban.documents.models import Document, Format, Kind
from bangban.documents.rendering import form_hash, render_form
from bangban.org.models import Role


def may_generate(actor, case: Case) -> bool:
    """The case's workers generate its forms; supervisors (and liaisons, who see a case only
    through their department's task) may open what was generated."""
    return actor.role != Role.SUPERVISOR and works_on(actor, case)


def _render(form: builders.Form, fmt: Format, digest: str) -> bytes:
    if fmt == Format.DOCX:
        return render_docx(form.kind, data=form.data, qr_url=form.qr_url, digest=digest)
    return render_form(form.template, data=form.data, qr_url=form.qr_url, digest=digest)


def _template(form: builders.Form, fmt: Format) -> str:
    return form.template if fmt == Format.PDF else f"documents/docx/{form.kind.value}.docx"


@transaction.atomic
def document_generate(
    *,
    actor,
    case: Case,
    kind: Kind | str,
    subject: str = "",
    format: Format | str = Format.PDF,
) -> Document:
    """The current form of `kind` (of `subject`, for a handover list) for the case, as PDF or
    (the agreement and the registration forms) Word. When the data it shows is what the latest
    version shows, that version is returned as it is; otherwise a new version is rendered and
    stored, the previous one marked superseded, and one event recorded."""
    kind, fmt = Kind(kind), Format(format)
    if fmt == Format.DOCX and kind not in DOCX_KINDS:
        raise Conflict(_("This form is only available as PDF."))
    if actor.role == Role.SUPERVISOR:
        raise PermissionDenied(_("Supervisors can view but cannot change anything."))
    if not works_on(actor, case):
        raise PermissionDenied(_("This case is outside your area."))
    return _generate(actor=actor, case=case, kind=kind, subject=subject, fmt=fmt)


@transaction.atomic
def archive_forms_fill(*, actor, case: Case) -> list[Document]:
    """Every form the case's steps call for, stored before its archive is exported: a form
    nobody printed is made now from the locked case (the same data it had when archived), so
    every export of an archive holds the same complete set. The caller has checked that the
    actor may export the case (supervisors export what they see, though they print nothing)."""
    return [
        _generate(actor=actor, case=case, kind=kind, subject=subject, fmt=Format.PDF)
        for kind, subject in builders.applicable_forms(case)
    ]


def _generate(*, actor, case: Case, kind: Kind, subject: str, fmt: Format) -> Document:
    # Two prints at once must not both take the next version number.
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("unit", "agent", "created_by")
        .get(pk=case.pk)
    )
    versions = Document.objects.filter(case=case, kind=kind, subject=subject, format=fmt)
    latest = versions.filter(superseded=False).order_by("-version").first()
    if case.state == State.ARCHIVED and latest is not None:
        # The archive is locked: what was filed is what prints, even if a unit was renamed.
        return latest
    form = builders.build(case, kind, subject)
    digest = form_hash(_template(form, fmt), data=form.data, qr_url=form.qr_url)
    if latest is not None and latest.content_hash == digest:
        return latest
    content = _render(form, fmt, digest)
    version = (versions.aggregate(last=Max("version"))["last"] or 0) + 1
    sha256 = hashlib.sha256(content).hexdigest()
    event = event_record(
        actor=actor,
        action="document.generate",
        obj=case,
        after={
            "kind": kind.value,
            **({"subject": subject} if subject else {}),
            "format": fmt.value,
            "version": version,
            "sha256": sha256,
            "content_hash": digest,
            **(
                {"personal_data": ["id_number", "phone"]} if kind in builders.PERSONAL_KINDS else {}
            ),
        },
    )
    if latest is not None:
        versions.filter(superseded=False).update(superseded=True)
    document = Document(
        case=case,
        kind=kind,
        subject=subject,
        format=fmt,
        version=version,
        sha256=sha256,
        content_hash=digest,
        created_at=event.occurred_at,
        created_by=actor,
        event=event,
    )
    document.file.save(document.filename, ContentFile(content), save=False)
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
