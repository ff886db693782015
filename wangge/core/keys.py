"""The keys of personal data, checked against the database before anything is read or written.

Personal data is encrypted under ``DATA_KEYS`` and found through hashes made with
``LOOKUP_KEY`` (wangge/core/crypto.py). A process started with other keys than the ones the
data was written with would read nothing and, worse, write new rows no one can match to the old
ones. So the database keeps a *fingerprint* of each key — HMAC-SHA256 of a fixed label under the
key, which reveals nothing of the key — and every process compares its keys with them on its
first connection to the database (the ``connection_created`` signal: the web server, the worker
and every management command alike), refusing to go on with a message naming the key that
differs.

- First start on an empty database: the fingerprints are stored (after ``migrate``, or on the
  first connection when the table is there but empty).
- Rotation: a new data key put first is accepted and its fingerprint stored, as long as every
  key the database knows is still configured. After ``wangge rotate-data-keys`` has moved every
  value to the new key, ``wangge check-keys --retire ID`` forgets the old one (it refuses while
  any value still uses it).
- The lookup key cannot change: the stored hashes depend on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError

LABEL = b"wangge key fingerprint v1"
LOOKUP = "lookup"
DATA_PREFIX = "data:"

_lock = threading.Lock()
_verified: set[tuple[str, str]] = set()  # (vendor, database name) checked in this process
_suspended = threading.local()


class KeyMismatch(ImproperlyConfigured, CommandError):
    """The configured keys are not the ones the database's personal data was written with.
    (A ``CommandError`` too, so that a management command ends with the message, not a
    traceback.)"""


def fingerprint(key: bytes) -> str:
    return hmac.new(key, LABEL, hashlib.sha256).hexdigest()


def parse_data_keys(raw: str) -> list[tuple[str, bytes]]:
    """``id:base64key,…`` → [(id, 32-byte key)], refusing anything malformed (naming the item
    by its id or position, never by its value)."""
    keys: list[tuple[str, bytes]] = []
    items = [part.strip() for part in (raw or "").split(",")]
    if not raw or not raw.strip():
        raise ImproperlyConfigured("DATA_KEYS is empty: give id:base64key (a 32-byte key)")
    for position, item in enumerate(items, start=1):
        key_id, sep, encoded = item.partition(":")
        where = f"DATA_KEYS item {position}" + (f" ({key_id!r})" if key_id and sep else "")
        if not sep or not key_id:
            raise ImproperlyConfigured(f"{where} must be id:base64key")
        if not key_id.replace("-", "").replace("_", "").isalnum() or len(key_id) > 32:
            raise ImproperlyConfigured(f"{where}: the key id must be letters, digits, - or _ "
                                       "(at most 32)")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ImproperlyConfigured(f"{where} is not valid base64") from None
        if len(key) != 32:
            raise ImproperlyConfigured(f"{where} is {len(key)} bytes; a data key must be 32 "
                                       "random bytes, base64-encoded")
        if any(key_id == known for known, _ in keys):
            raise ImproperlyConfigured(f"{where}: the key id {key_id!r} appears twice")
        keys.append((key_id, key))
    return keys


def configured() -> dict[str, str]:
    """The fingerprints of the configured keys: {"lookup": …, "data:<id>": …}."""
    lookup = getattr(settings, "WANGGE_LOOKUP_KEY", "") or ""
    if len(lookup) < 32:
        raise ImproperlyConfigured("LOOKUP_KEY must be set to 32+ random characters")
    prints = {LOOKUP: fingerprint(lookup.encode())}
    for key_id, key in parse_data_keys(getattr(settings, "WANGGE_DATA_KEYS", "")):
        prints[DATA_PREFIX + key_id] = fingerprint(key)
    return prints


def differences(stored: dict[str, str], current: dict[str, str]) -> list[str]:
    """What keeps ``current`` keys from reading data written under ``stored`` ones (empty when
    they fit; keys configured but not stored are new, which is fine)."""
    problems = []
    if LOOKUP in stored and stored[LOOKUP] != current.get(LOOKUP):
        problems.append("LOOKUP_KEY is not the key this database's lookup hashes were made with")
    for name in sorted(stored):
        if not name.startswith(DATA_PREFIX):
            continue
        key_id = name[len(DATA_PREFIX):]
        if name not in current:
            problems.append(
                f"DATA_KEYS has no key {key_id!r}, which this database's data was encrypted "
                f"with (put it back; to retire it, run `wangge rotate-data-keys` with both keys, "
                f"then `wangge check-keys --retire {key_id}`)")
        elif current[name] != stored[name]:
            problems.append(f"the data key {key_id!r} in DATA_KEYS is not the key {key_id!r} "
                            "this database's data was encrypted with")
    return problems


def _table(connection) -> str:
    from wangge.core.models import KeyFingerprint

    return connection.ops.quote_name(KeyFingerprint._meta.db_table)


def has_table(connection) -> bool:
    from wangge.core.models import KeyFingerprint

    with connection.cursor() as cursor:
        return KeyFingerprint._meta.db_table in connection.introspection.table_names(cursor)


def stored(connection) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, fingerprint FROM {_table(connection)}")  # noqa: S608
        return dict(cursor.fetchall())


def _store(connection, prints: dict[str, str]) -> None:
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    now = timezone.now()
    for name, value in prints.items():
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {_table(connection)} (name, fingerprint, stored_at) "  # noqa: S608
                    "VALUES (%s, %s, %s)", [name, value, now])
        except IntegrityError:
            pass  # another process stored it at the same moment; compared below


def verify(connection, *, store: bool = True) -> dict[str, str] | None:
    """Compares the configured keys with the database's fingerprints (raising ``KeyMismatch``),
    storing those not yet there; returns the fingerprints now stored, or None on a database
    without the table (before ``migrate``), where there is nothing to compare."""
    if not has_table(connection):
        return None
    current = configured()
    known = stored(connection)
    problems = differences(known, current)
    if problems:
        raise KeyMismatch(_refusal(connection, problems))
    missing = {name: value for name, value in current.items() if name not in known}
    if missing and store:
        _store(connection, missing)
        known = stored(connection)
        problems = differences(known, current)
        if problems:
            raise KeyMismatch(_refusal(connection, problems))
    return known


def _refusal(connection, problems: list[str]) -> str:
    name = connection.settings_dict.get("NAME")
    return ("Wangge refuses to run with keys that do not fit the database "
            f"({connection.vendor} {name}): " + "; ".join(problems) + ".")


def _identity(connection) -> tuple[str, str]:
    return (connection.vendor, str(connection.settings_dict.get("NAME")))


@contextmanager
def suspended():
    """No check on connections opened inside (``check-keys``, ``backup`` and ``restore`` look at
    the keys themselves)."""
    previous = getattr(_suspended, "on", False)
    _suspended.on = True
    try:
        yield
    finally:
        _suspended.on = previous


def forget_verified() -> None:
    """The next connection checks again (after a restore, in tests)."""
    with _lock:
        _verified.clear()


def on_connection_created(sender, connection, **kwargs) -> None:
    """The check on each process's first connection to a database."""
    if getattr(_suspended, "on", False) or _identity(connection) in _verified:
        return
    try:
        checked = verify(connection) is not None
    except Exception:
        # a half-opened connection would be reused without this check: close it, so every
        # later attempt checks (and refuses) again
        connection.close()
        raise
    if checked:
        with _lock:
            _verified.add(_identity(connection))


def after_migrate(sender, using, **kwargs) -> None:
    """``migrate`` (and the test runner's flush) store the fingerprints on a fresh database."""
    from django.db import connections

    if getattr(_suspended, "on", False):
        return
    connection = connections[using]
    try:
        checked = verify(connection) is not None
    except KeyMismatch:
        raise
    except ImproperlyConfigured:
        return  # malformed keys: nothing to store; every use of the keys says what is wrong
    if checked:
        with _lock:
            _verified.add(_identity(connection))


def retire(connection, key_id: str) -> int:
    """Forgets a data key no value uses any more; returns how many fingerprints were removed.
    Refuses for the current key and while any encrypted column (``EncryptedTextField`` or
    ``*_enc``) still holds a value under it."""
    current_ids = [k for k, _ in parse_data_keys(getattr(settings, "WANGGE_DATA_KEYS", ""))]
    if current_ids and key_id == current_ids[0]:
        raise ImproperlyConfigured(f"{key_id!r} is the current data key (the first of "
                                   "DATA_KEYS); it cannot be retired")
    qn = connection.ops.quote_name
    pattern = f"v1:{key_id}:%"
    with connection.cursor() as cursor:
        for model, field in _encrypted_columns():
            cursor.execute(f"SELECT 1 FROM {qn(model._meta.db_table)} "  # noqa: S608
                           f"WHERE {qn(field.column)} LIKE %s LIMIT 1", [pattern])
            if cursor.fetchone():
                raise ImproperlyConfigured(
                    f"{model._meta.label}.{field.name} still holds values encrypted with "
                    f"{key_id!r}: run `wangge rotate-data-keys` first")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(connection)} WHERE name = %s",  # noqa: S608
                       [DATA_PREFIX + key_id])
        return cursor.rowcount


def _encrypted_columns():
    """Every column that holds encrypted values: the ``EncryptedTextField``s and the people's
    ``*_enc`` text columns."""
    from django.apps import apps

    from wangge.core.encrypted import EncryptedTextField

    return [(model, field) for model in apps.get_models() for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField)
            or (field.name.endswith("_enc") and field.get_internal_type() == "TextField")]


def check_at_start(alias: str = "default") -> None:
    """The check when a web server loads the application (wangge/wsgi.py: gunicorn, runserver),
    so that wrong keys stop it before it serves anything. A database that cannot be reached yet
    is left to the first request, which checks on its connection."""
    from django.db import DatabaseError, connections

    connection = connections[alias]
    try:
        connection.ensure_connection()
    except KeyMismatch:
        raise
    except DatabaseError:
        return
    finally:
        connection.close()  # not carried into forked workers
