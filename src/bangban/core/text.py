"""Free text as people type it: what a value may hold to be stored, shown, printed and exported.

A control character (a bell, an escape, a NUL) is never part of a name, an address or a note:
it comes from a hostile client or from text pasted out of another program. None of the places
the text goes can carry it faithfully — PostgreSQL refuses NUL outright (a 500 where the form
let it through), a PDF prints it as an empty box (rendering.py then refuses the whole form),
Excel and Word refuse the file — so it is refused where it comes in, with the character named,
rather than dropped unseen. Tab and line breaks are text and stay.

`TextCheckMixin` applies this to every text field of a form (the Bootstrap mixins of the forms
carry it, so every form of the application does); services whose input does not come through
a form (the public portal, the API) call `text_check` themselves."""

import re
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from bangban.core.errors import ValidationFailed

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; the two
# noncharacters XML refuses; lone surrogates (only a broken client can send them).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def control_message(value: str) -> str | None:
    """What is wrong with `value`, naming its first control character; None when nothing is."""
    found = CONTROL_CHARACTERS.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return _("Null characters are not allowed.")
    return _(
        "The text holds an invisible control character (U+%(code)04X), which cannot be "
        "printed or exported: delete it and type the text again."
    ) % {"code": ord(found.group())}


def text_check(value: Any, *, field: str) -> None:
    """ValidationFailed at `field` when the text holds a control character."""
    if isinstance(value, str) and (message := control_message(value)):
        raise ValidationFailed(message, field=field)


def texts_check(values: Iterable[tuple[str, Any]]) -> None:
    """`text_check` for each (field, value) pair."""
    for field, value in values:
        text_check(value, field=field)


class TextCheckMixin:
    """Refuses control characters in every text a form cleans (for a Django form)."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        cleaned = getattr(self, "cleaned_data", None)
        if not cleaned:
            return
        for name, value in list(cleaned.items()):
            values = value if isinstance(value, list | tuple) else [value]
            for item in values:
                if isinstance(item, str) and (message := control_message(item)):
                    self.add_error(name if name in self.fields else None, message)  # type: ignore[attr-defined]
                    break
