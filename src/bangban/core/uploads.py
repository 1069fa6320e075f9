"""Checks of files uploaded by the public (material photos): the type is read from the
content, not from the name, and the image is opened by Pillow, which also refuses
decompression bombs. The file is kept exactly as uploaded."""

import hashlib
import warnings

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image

from bangban.core.errors import ValidationFailed

# Content type → the bytes the file starts with.
IMAGE_SIGNATURES: dict[str, bytes] = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
CHUNK = 64 * 1024


def image_opens(upload: UploadedFile) -> bool:
    """Whether Pillow reads the upload as an image; a decompression bomb counts as not (a huge
    image is refused outright, not merely warned about)."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image.verify()
    except Exception:
        return False
    finally:
        upload.seek(0)
    return True


def image_check(upload: UploadedFile, *, max_mb: int, field: str = "photos") -> str:
    """The upload's real content type (JPG or PNG), or ValidationFailed saying what is wrong."""
    if not upload.size:
        raise ValidationFailed(_("The file is empty."), field=field)
    if upload.size > max_mb * 1024 * 1024:
        raise ValidationFailed(
            _("The photo %(name)s is larger than %(limit)d MB: take it at a lower resolution.")
            % {"name": upload.name, "limit": max_mb},
            field=field,
        )
    upload.seek(0)
    head = upload.read(16)
    content_type = next(
        (t for t, magic in IMAGE_SIGNATURES.items() if head.startswith(magic)), None
    )
    if content_type is None:
        raise ValidationFailed(
            _("%(name)s is not a JPG or PNG photo.") % {"name": upload.name}, field=field
        )
    if not image_opens(upload):
        raise ValidationFailed(
            _("The photo %(name)s cannot be read: it is damaged or not really an image.")
            % {"name": upload.name},
            field=field,
        )
    return content_type


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks(CHUNK):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
