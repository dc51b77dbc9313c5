"""Personal data at rest: ID numbers and mobiles are encrypted, and found through a keyed hash.

A copied database file reveals no one: the ciphertext needs the data key, kept outside the
database (``instance/data_key`` or ``PORTAL_DATA_KEY``), and the lookup hash is an HMAC with a
key derived from it, so it cannot be reversed by hashing every possible ID number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class PersonalDataVault:
    """Encrypts, decrypts and hashes personal values with keys derived from one master key."""

    def __init__(self, master_key: str):
        try:
            master = base64.urlsafe_b64decode(master_key.encode())
        except ValueError as exc:
            raise ValueError("DATA_KEY must be base64 of 32 random bytes") from exc
        if len(master) < 32:
            raise ValueError("DATA_KEY must be base64 of 32 random bytes")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, b"portal/pii/encrypt/v1")))
        self._hash_key = _derive(master, b"portal/pii/lookup/v1")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("personal data cannot be decrypted: wrong DATA_KEY?") from exc

    def lookup_hash(self, value: str) -> str:
        """A stable keyed hash of a normalised value, for unique constraints and exact search."""
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()


def vault() -> PersonalDataVault:
    return current_app.extensions["pii_vault"]


def lookup_hash(value: str) -> str:
    return vault().lookup_hash(value)


class EncryptedText(TypeDecorator):
    """A text column stored encrypted; Python code sees the plain value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else vault().encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else vault().decrypt(value)
