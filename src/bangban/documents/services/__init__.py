"""Document services, one module per part: generating and opening forms (`forms`), attaching
signed scans (`scans`), and exporting sealed case archives (`archives`)."""

from bangban.documents.services.forms import document_generate, document_open, may_generate

__all__ = ["document_generate", "document_open", "may_generate"]
