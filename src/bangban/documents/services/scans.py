"""Signed scans: the photo or scan of a printed form after the applicant and the agent signed
it, attached to the document record it was printed from.

The paper is the evidence, so the file is kept exactly as uploaded (its SHA-256 goes into the
event and the archive manifest); what is checked is that it is what it claims to be. The type
is read from the content, not from the name, so a script renamed to .pdf is refused; images
are opened and verified by Pillow, which also refuses decompression bombs."""

import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from bangban.cases.models import Case
from bangban.cases.workflow import State
from bangban.core.errors import Conflict, PermissionDenied, ValidationFailed
from bangban.core.events import event_record
from bangban.core.uploads import image_opens, sha256_of
from bangban.documents.models import Document, SignedScan
from bangban.documents.services.forms import may_generate

# Content type → (the bytes the file starts with, the names it may carry).
SIGNATURES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", ("pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", ("jpg", "jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", ("png",)),
}
ACCEPTED_NAMES = "PDF、JPG、PNG"


def _sniff(head: bytes) -> str | None:
    for content_type, (magic, _names) in SIGNATURES.items():
        if head.startswith(magic):
            return content_type
    return None


def _check_image(upload: UploadedFile) -> None:
    if not image_opens(upload):
        raise ValidationFailed(
            _("The image cannot be read: it is damaged or not really an image."), field="file"
        )


def _check_pdf(upload: UploadedFile) -> None:
    # A PDF ends with %%EOF (possibly followed by a line end); a truncated upload does not.
    upload.seek(max(0, upload.size - 1024))
    if b"%%EOF" not in upload.read():
        raise ValidationFailed(
            _("The PDF is incomplete or damaged: upload the whole file again."), field="file"
        )


def scan_check(upload: UploadedFile) -> str:
    """The upload's real content type, or ValidationFailed saying what is wrong with it."""
    limit = settings.BANGBAN_SCAN_MAX_MB
    if not upload.size:
        raise ValidationFailed(_("The file is empty."), field="file")
    if upload.size > limit * 1024 * 1024:
        raise ValidationFailed(
            _("The file is larger than %(limit)d MB: scan at a lower resolution or as JPG.")
            % {"limit": limit},
            field="file",
        )
    upload.seek(0)
    content_type = _sniff(upload.read(16))
    if content_type is None:
        raise ValidationFailed(
            _("Only %(types)s files can be uploaded as a signed scan.") % {"types": ACCEPTED_NAMES},
            field="file",
        )
    extension = (upload.name or "").rsplit(".", 1)[-1].lower() if "." in (upload.name or "") else ""
    if extension not in SIGNATURES[content_type][1]:
        raise ValidationFailed(
            _(
                "The file's name does not match its content (the content is %(type)s): "
                "rename it or upload the original file."
            )
            % {"type": SIGNATURES[content_type][1][0].upper()},
            field="file",
        )
    if content_type == "application/pdf":
        _check_pdf(upload)
    else:
        _check_image(upload)
    return content_type


@transaction.atomic
def scan_attach(*, actor, document: Document, upload: UploadedFile) -> SignedScan:
    """Attach a signed scan to a generated form of a case the actor works on. A case's archive
    is locked once archived: its scans come before."""
    # Read the case afresh, locked: archiving it at the same moment must not let a scan slip in.
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("unit").get(pk=document.case_id)
    )
    if not may_generate(actor, case):
        raise PermissionDenied(_("Only the staff working on the case can attach its signed forms."))
    if case.state == State.ARCHIVED:
        raise Conflict(_("The case is archived: its records can no longer change."))
    content_type = scan_check(upload)
    sha256 = sha256_of(upload)
    event = event_record(
        actor=actor,
        action="document.scan_attach",
        obj=case,
        after={
            "document": document.pk,
            "kind": document.kind,
            "version": document.version,
            "sha256": sha256,
            "size": upload.size,
            "content_type": content_type,
        },
    )
    scan = SignedScan(
        document=document,
        original_name=(upload.name or "")[:255],
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        uploaded_at=event.occurred_at,
        uploaded_by=actor,
        event=event,
    )
    extension = SIGNATURES[content_type][1][0]
    upload.seek(0)
    # The stored name is ours: the uploader's name is kept as data, never used as a path.
    scan.file.save(f"{uuid.uuid4().hex}.{extension}", upload, save=False)
    scan.save()
    return scan


@transaction.atomic
def scan_open(*, actor, scan: SignedScan, ip_address: str | None = None) -> SignedScan:
    """Hand a signed scan to a user who may see its case. A signed paper form shows the
    applicant's signature and, often, their ID: every opening is logged as a reveal."""
    event_record(
        actor=actor,
        action="personal_data.reveal",
        obj=scan.document.case,
        after={
            "scan": scan.pk,
            "document": scan.document_id,
            "kind": scan.document.kind,
            # Named like the other reveals' fields, so the log says what was seen.
            "fields": ["signed_scan"],
        },
        ip_address=ip_address,
    )
    return scan
