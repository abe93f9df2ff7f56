"""Secrets kept at rest (two-factor secrets), encrypted with Fernet under ENCRYPTION_KEY or a key from SECRET_KEY.

ENCRYPTION_KEY holds one or more Fernet keys separated by commas: the first encrypts, every one decrypts,
so a key can be replaced without losing anything (`assess secrets rotate` then re-encrypts under the new one).
Without it, the key is derived from SECRET_KEY with HKDF-SHA256; that key also stays in the keyring after a
dedicated key is set, so secrets written before can still be read until they are rotated.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app, has_app_context

#: Every Fernet token starts with this (its version byte, 0x80, in URL-safe base64); base32 secrets never do.
TOKEN_PREFIX = "gAAAAA"

__all__ = ["InvalidToken", "TOKEN_PREFIX", "current_keyring", "decrypt", "derived_key", "encrypt", "init_app",
           "is_encrypted", "keyring"]


def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from the app's secret key (HKDF-SHA256, with its own purpose label)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"assess", info=b"assess: secrets at rest, v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8")))


def keyring(config: Mapping[str, Any]) -> MultiFernet:
    """The keys of a configuration: ENCRYPTION_KEY's (the first encrypts), then the one derived from SECRET_KEY."""
    keys = [key.strip() for key in str(config.get("ENCRYPTION_KEY") or "").split(",") if key.strip()]
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except ValueError:  # binascii.Error too
            raise ValueError(f"ENCRYPTION_KEY: key {number} is not a Fernet key (44 characters of URL-safe base64; "
                             "make one with `python3 -c 'from cryptography.fernet import Fernet; "
                             "print(Fernet.generate_key().decode())'`)") from None
    fernets.append(Fernet(derived_key(str(config["SECRET_KEY"]))))
    return MultiFernet(fernets)


def init_app(app: Flask) -> None:
    """Make the app's keyring once, so that a bad ENCRYPTION_KEY stops the app starting."""
    app.extensions["assess.keyring"] = keyring(app.config)


def current_keyring() -> MultiFernet:
    """The keys of the current app."""
    if not has_app_context():
        raise RuntimeError("encrypting or decrypting needs the app's keys: run this through `assess ...`")
    result: MultiFernet = current_app.extensions["assess.keyring"]
    return result


def encrypt(plaintext: str, keys: MultiFernet | None = None) -> str:
    """A Fernet token (text) of a secret, under the first key."""
    return (keys or current_keyring()).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, keys: MultiFernet | None = None) -> str:
    """The secret in a Fernet token made under any of the keys; InvalidToken if none of them made it."""
    return (keys or current_keyring()).decrypt(token.encode("ascii")).decode("utf-8")


def is_encrypted(value: str) -> bool:
    """Whether a stored value is a Fernet token (rather than a secret stored before encryption)."""
    return value.startswith(TOKEN_PREFIX)
