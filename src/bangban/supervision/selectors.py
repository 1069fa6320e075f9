"""Supervision reads, limited to what the actor may see."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from bangban.core.errors import NotFound, PermissionDenied
from bangban.org.scoping import scope_path
from bangban.supervision.models import LedgerExport


def ledger_exports_mine(*, actor) -> QuerySet[LedgerExport]:
    """The actor's own exports, newest first: an export is only ever its requester's."""
    if not getattr(actor, "is_authenticated", False):
        return LedgerExport.objects.none()
    return LedgerExport.objects.filter(requested_by=actor).order_by("-created_at", "-pk")


def ledger_export_get(*, actor, pk: int) -> LedgerExport:
    try:
        return ledger_exports_mine(actor=actor).get(pk=pk)
    except LedgerExport.DoesNotExist as exc:
        raise NotFound(_("There is no such ledger export, or it is not yours.")) from exc


def ledger_export_file(*, actor, pk: int) -> LedgerExport:
    """A finished export whose file the actor may still take: theirs, and made for an area
    they still see in full (someone moved to a smaller area no longer takes the larger one)."""
    export = ledger_export_get(actor=actor, pk=pk)
    path = scope_path(actor)
    if path is None or not export.scope.startswith(path):
        raise PermissionDenied(_("This export covers cases outside your area now."))
    if export.state != LedgerExport.State.DONE or not export.file:
        raise NotFound(_("The ledger export has no file yet."))
    return export
