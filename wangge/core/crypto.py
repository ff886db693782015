"""Personal data at rest: AES-256-GCM encryption with rotatable keys, and a keyed hash to find
a record by its value without decrypting anything.

Keys come from the setting ``WANGGE_DATA_KEYS`` (environment ``DATA_KEYS``): a comma list of
``id:base64key`` (32-byte keys), the first one current. A ciphertext is ``v1:<key id>:<base64
nonce+ciphertext+tag>``, so old values stay readable after a new key is put first, and
``reencrypt`` moves them to the current key. The lookup hash is HMAC-SHA256 with a separate
``WANGGE_LOOKUP_KEY``: equal values hash equal, and the hash reveals nothing without the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(ValueError):
    pass


def _keys() -> list[tuple[str, bytes]]:
    raw = getattr(settings, "WANGGE_DATA_KEYS", "") or ""
    keys = []
    for item in [part.strip() for part in raw.split(",") if part.strip()]:
        key_id, _, encoded = item.partition(":")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ImproperlyConfigured(f"data key {key_id!r} is not base64") from None
        if not key_id or len(key) != 32:
            raise ImproperlyConfigured(f"data key {key_id!r} must be an id and 32 bytes "
                                       "(base64)")
        keys.append((key_id, key))
    if not keys:
        raise ImproperlyConfigured("DATA_KEYS is not set: personal data cannot be encrypted")
    return keys


def encrypt(plaintext: str, *, associated: str = "") -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if plaintext is None or plaintext == "":
        return ""
    key_id, key = _keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), associated.encode())
    return f"v1:{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, associated: str = "") -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not token:
        return ""
    try:
        version, key_id, payload = token.split(":", 2)
    except ValueError:
        raise DecryptionError("not an encrypted value") from None
    if version != "v1":
        raise DecryptionError(f"unknown format {version!r}")
    keys = dict(_keys())
    if key_id not in keys:
        raise DecryptionError(f"the key {key_id!r} is no longer configured")
    data = base64.b64decode(payload)
    try:
        return AESGCM(keys[key_id]).decrypt(data[:12], data[12:], associated.encode()).decode()
    except InvalidTag:
        raise DecryptionError("the value was altered or belongs to another record") from None


def decrypter(*, associated: str = ""):
    """``decrypt`` for many values of one field (an export of a whole table): the keys are
    read and the ciphers built once, not for every value."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ciphers = {key_id: AESGCM(key) for key_id, key in _keys()}
    extra = associated.encode()

    def decrypt_one(token: str) -> str:
        if not token:
            return ""
        try:
            version, key_id, payload = token.split(":", 2)
        except ValueError:
            raise DecryptionError("not an encrypted value") from None
        if version != "v1":
            raise DecryptionError(f"unknown format {version!r}")
        cipher = ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"the key {key_id!r} is no longer configured")
        data = base64.b64decode(payload)
        try:
            return cipher.decrypt(data[:12], data[12:], extra).decode()
        except InvalidTag:
            raise DecryptionError("the value was altered or belongs to another record") \
                from None

    return decrypt_one


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1] if token.count(":") >= 2 else ""


def reencrypt(token: str, *, associated: str = "") -> str:
    """The same value under the current key (for key rotation)."""
    if not token or key_id_of(token) == _keys()[0][0]:
        return token
    return encrypt(decrypt(token, associated=associated), associated=associated)


def _lookup_key() -> str:
    key = getattr(settings, "WANGGE_LOOKUP_KEY", "") or ""
    if len(key) < 32:
        raise ImproperlyConfigured("LOOKUP_KEY must be set to 32+ random characters")
    return key


def lookup_hash(value: str) -> str:
    normalized = (value or "").strip().upper()
    return hmac.new(_lookup_key().encode(), normalized.encode(), hashlib.sha256).hexdigest()


def derived_key(label: bytes) -> bytes:
    """A key of its own for one purpose (``label``), derived from the lookup key, which is
    never rotated without rehashing: the audit chain, the binding of client refs."""
    return hmac.new(_lookup_key().encode(), label, hashlib.sha256).digest()


def new_key() -> str:
    """A fresh 32-byte key, base64 (for DATA_KEYS)."""
    return base64.b64encode(os.urandom(32)).decode()
