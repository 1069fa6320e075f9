"""Personal data at rest: Fernet encryption with a key from the environment, and a keyed
blind index (HMAC-SHA256) so that an exact lookup needs no decryption."""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode("ascii"))


def encrypt(plaintext: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:  # wrong key or altered ciphertext: never show garbage
        raise ValueError("encrypted value cannot be read with the configured key") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """A stable keyed digest of a normalised value. `purpose` separates the index of ID numbers
    from that of phone numbers, so equal digits in both do not match."""
    key = hashlib.sha256(f"blind-index:{purpose}:{settings.FIELD_ENCRYPTION_KEY}".encode()).digest()
    return hmac.new(key, value.strip().upper().encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedCharField(models.TextField):
    """Holds a string encrypted in the database and plain in Python. It cannot be filtered on:
    use the blind index beside it."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
