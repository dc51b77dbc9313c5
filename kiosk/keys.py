"""The kiosk's Ed25519 key pair: made on the device, the private half written 0600 and never sent."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def public_path(key_file: str | Path) -> Path:
    path = Path(key_file)
    return path.with_name(path.stem + ".pub.pem")


def ensure_key(key_file: str | Path) -> tuple[bytes, bytes]:
    """(private PEM, public PEM), generating the pair on first use."""
    path = Path(key_file)
    if not path.exists():
        key = ed25519.Ed25519PrivateKey.generate()
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private)
    private = path.read_bytes()
    key = serialization.load_pem_private_key(private, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    public_path(path).write_bytes(public)
    return private, public


def new_key_path(key_file: str | Path) -> Path:
    path = Path(key_file)
    return path.with_name(path.stem + ".new.pem")


def write_private_key(path: Path) -> bytes:
    """A fresh Ed25519 private key written 0600 (refuses to overwrite)."""
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private)
        handle.flush()
        os.fsync(handle.fileno())
    return private


def public_of(private_pem: bytes) -> bytes:
    key = serialization.load_pem_private_key(private_pem, password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def promote_new_key(key_file: str | Path) -> None:
    """The new key becomes the key (the old one kept beside it as ``.old.pem``), by renames."""
    path = Path(key_file)
    os.replace(path, path.with_name(path.stem + ".old.pem"))
    os.replace(new_key_path(path), path)
    public_path(path).write_bytes(public_of(path.read_bytes()))
