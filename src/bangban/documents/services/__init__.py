"""Document services, one module per part: generating and opening forms (`forms`), attaching
signed scans (`scans`), and exporting sealed case archives (`archives`)."""

from bangban.documents.services.archives import (
    archive_export_file,
    archive_export_get,
    archive_export_request,
    archive_export_run,
    archive_exports_mine,
)
from bangban.documents.services.forms import (
    archive_forms_fill,
    document_generate,
    document_open,
    may_generate,
)
from bangban.documents.services.scans import scan_attach, scan_check, scan_open

__all__ = [
    "archive_export_file",
    "archive_export_get",
    "archive_export_request",
    "archive_export_run",
    "archive_exports_mine",
    "archive_forms_fill",
    "document_generate",
    "document_open",
    "may_generate",
    "scan_attach",
    "scan_check",
    "scan_open",
]
