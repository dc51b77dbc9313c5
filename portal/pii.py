"""Personal data at rest: ID numbers, mobiles and health data are encrypted; IDs found through a keyed hash.

A copied database file reveals no one: the ciphertext needs the data key, kept outside the
database (``instance/data_key`` or ``PORTAL_DATA_KEY``), and the lookup hash is an HMAC with a
key derived from it, so it cannot be reversed by hashing every possible ID number.

Health data (a claim's hospital, diagnosis, disease, accident description, its automatic checks
and benefit breakdown, its timeline) is stored the same way (``EncryptedText``, ``EncryptedJSON``).
Bulk writers (the city-scale generator, imports with Core ``insert``) either let the column types
encrypt, or, for PostgreSQL ``COPY`` and other raw paths, take ``bulk_encryptor()`` once and call it
per value: it skips the application lookup and gives exactly what the column type would store.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


_BLOCK = 16
_PKCS7 = [bytes([size]) * size for size in range(_BLOCK + 1)]


def fernet_tokens(key: bytes, values: Sequence[str], *, now: float | None = None) -> list[str]:
    """The Fernet tokens of ``values`` under the 32-byte Fernet ``key``, with one AES call for them all.

    Exactly the format ``Fernet.encrypt`` writes and ``Fernet.decrypt`` reads (version 0x80, time,
    a random IV, AES-128-CBC with PKCS7 padding, HMAC-SHA256 of all that), so nothing stored
    changes; what changes is the cost: ``Fernet.encrypt`` builds a cipher, a padder and an HMAC
    object per value (about 20 µs), this about 5 µs a value.

    How one CBC call serves many values, each under its own random IV: the plaintext stream is, per
    value, 16 fresh random bytes ``R`` then the padded value. CBC encrypts ``R`` to
    ``AES(R xor previous block)``: a uniformly random block independent of everything before it
    (``R`` is), which is that value's IV — the "encrypt a nonce" way of making CBC IVs of NIST
    SP 800-38A, appendix C — and the value's blocks that follow are its CBC ciphertext under that
    IV. So each token's IV and ciphertext are one contiguous slice of the output.
    """
    if not values:
        return []
    signing_key, encryption_key = key[:_BLOCK], key[_BLOCK:]
    header = b"\x80" + struct.pack(">Q", int(time.time() if now is None else now))
    padded = [data + _PKCS7[_BLOCK - len(data) % _BLOCK] for data in (value.encode() for value in values)]
    randoms = os.urandom(_BLOCK * (len(padded) + 1))
    stream = b"".join([piece for index, data in enumerate(padded)
                       for piece in (randoms[_BLOCK * (index + 1):_BLOCK * (index + 2)], data)])
    encryptor = Cipher(algorithms.AES(encryption_key), modes.CBC(randoms[:_BLOCK])).encryptor()
    ciphertext = encryptor.update(stream) + encryptor.finalize()
    tokens = []
    start = 0
    sign, encode = hmac.digest, base64.urlsafe_b64encode
    for data in padded:
        end = start + _BLOCK + len(data)
        body = header + ciphertext[start:end]  # version, time, IV, ciphertext
        tokens.append(encode(body + sign(signing_key, body, "sha256")).decode())
        start = end
    return tokens


class PersonalDataVault:
    """Encrypts, decrypts and hashes personal values with keys derived from one master key."""

    def __init__(self, master_key: str):
        try:
            master = base64.urlsafe_b64decode(master_key.encode())
        except ValueError as exc:
            raise ValueError("DATA_KEY must be base64 of 32 random bytes") from exc
        if len(master) < 32:
            raise ValueError("DATA_KEY must be base64 of 32 random bytes")
        self._fernet_key = _derive(master, b"portal/pii/encrypt/v1")
        self._fernet = Fernet(base64.urlsafe_b64encode(self._fernet_key))
        self._hash_key = _derive(master, b"portal/pii/lookup/v1")
        self._sealer = Fernet(base64.urlsafe_b64encode(_derive(master, b"portal/search-token/v1")))

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def encrypt_many(self, values: Sequence[str]) -> list[str]:
        """``[encrypt(value) for value in values]``, several times faster (``fernet_tokens``): for
        bulk writers, who then store the tokens as they are (what ``EncryptedText`` would store)."""
        return fernet_tokens(self._fernet_key, values)

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("personal data cannot be decrypted: wrong DATA_KEY?") from exc

    def seal(self, value: str, owner: str) -> str:
        """An opaque, URL-safe token carrying ``value`` for ``owner`` only (a search typed by staff)."""
        return self._sealer.encrypt(f"{owner}\n{value}".encode()).decode().rstrip("=")

    def unseal(self, token: str, owner: str, max_age: int) -> str | None:
        """What ``seal`` put in ``token``, if it was sealed for ``owner`` less than ``max_age`` s ago."""
        try:
            plain = self._sealer.decrypt((token + "=" * (-len(token) % 4)).encode(), ttl=max_age).decode()
        except (InvalidToken, ValueError, UnicodeError):
            return None
        sealed_for, _, value = plain.partition("\n")
        return value if hmac.compare_digest(sealed_for, owner) else None

    def lookup_hash(self, value: str) -> str:
        """A stable keyed hash of a normalised value, for unique constraints and exact search."""
        return hmac.digest(self._hash_key, value.encode(), "sha256").hex()  # = hmac.new(...).hexdigest()


def vault() -> PersonalDataVault:
    return current_app.extensions["pii_vault"]


def lookup_hash(value: str) -> str:
    return vault().lookup_hash(value)


def dump_json(value: Any) -> str:
    """The JSON text an ``EncryptedJSON`` column encrypts (compact, Chinese kept as it is)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def bulk_encryptor() -> Callable[[Any], str | None]:
    """A fast function giving, for one value, what an encrypted column stores (``None`` stays ``None``).

    Strings are encrypted as ``EncryptedText`` does; lists and dicts as ``EncryptedJSON`` does.
    About 12 µs a value on one core (Fernet: AES-128-CBC + HMAC-SHA256, a fresh IV each time, so
    equal values never give equal ciphertexts). Take it once inside the app, then use it anywhere.
    """
    encrypt = vault().encrypt

    def encrypt_value(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return encrypt(value)
        return encrypt(dump_json(value))

    return encrypt_value


class EncryptedText(TypeDecorator):
    """A text column stored encrypted; Python code sees the plain value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else vault().encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else vault().decrypt(value)


class EncryptedJSON(TypeDecorator):
    """A JSON value (list or dict) stored encrypted as text; Python code sees the plain value.

    Not searchable in SQL: filter on a plain column kept beside it (e.g. ``Claim.flag_codes``).
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else vault().encrypt(dump_json(value))

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(vault().decrypt(value))
