# ruff: noqa: S608  (the SQL names quoted table and column names of models; values are parameters)
"""A model field whose value is stored only encrypted (AES-256-GCM, wangge/core/crypto.py).

``EncryptedTextField(associated="case-reporter-phone")`` keeps the clear value on the model
instance and in ``.values()`` (decrypted when read from the database) and writes
``v1:<key id>:<…>`` to the column, the ``associated`` text bound into the tag so that a value
copied to another field does not decrypt there. An empty value stays empty (so ``filter(x="")``
still works); any other equality filter never matches (each encryption has its own nonce):
a field that must be searched by value needs a keyed hash (``crypto.lookup_hash``) beside it.
Lookups compare with the stored text (``startswith="v1:<key id>:"`` finds a key's values).

Code that writes rows without the ORM (``territory.synthetic.bulk_insert``) calls ``seal``.
``reencrypt_column`` moves a column to the current key (``wangge rotate-data-keys``) and
``encrypt_column`` encrypts clear values left in a column (the data migrations).
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db import models

from wangge.core import crypto

PREFIX = "v1:"


class EncryptedTextField(models.TextField):
    def __init__(self, *args, associated: str = "", **kwargs):
        self.associated = associated
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["associated"] = self.associated
        return name, path, args, kwargs

    def seal(self, value) -> str:
        """The stored form of a clear value."""
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), associated=self.associated)

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"widget": forms.TextInput, **kwargs})  # one line of text

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, associated=self.associated)

    def get_db_prep_save(self, value, connection):
        # only what is written is sealed: a lookup compares with the stored text as it is
        # (``startswith="v1:<key id>:"`` finds the values of a key)
        return self.seal(super().get_db_prep_save(value, connection))


def _table_column(model, field_name: str) -> tuple[str, str, str]:
    field = model._meta.get_field(field_name)
    return model._meta.db_table, field.column, model._meta.pk.column


def encrypt_column(model, field_name: str, associated: str, *, connection=None,
                   batch: int = 1000) -> int:
    """Encrypts the clear values of a column in place (values already encrypted are left);
    returns how many. Works on the raw column, so it fits a data migration whatever the
    historical model's field is."""
    connection = connection or default_connection
    table, column, pk = _table_column(model, field_name)
    qn = connection.ops.quote_name
    done, last = 0, None
    with connection.cursor() as cursor:
        while True:
            where = f"WHERE {qn(column)} <> ''" + (f" AND {qn(pk)} > %s" if last else "")
            cursor.execute(f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} {where} "
                           f"ORDER BY {qn(pk)} LIMIT {batch}", [last] if last else [])
            rows = cursor.fetchall()
            if not rows:
                return done
            last = rows[-1][0]
            clear = [(crypto.encrypt(value, associated=associated), key)
                     for key, value in rows if value and not value.startswith(PREFIX)]
            if clear:
                cursor.executemany(f"UPDATE {qn(table)} SET {qn(column)} = %s "
                                   f"WHERE {qn(pk)} = %s", clear)
                done += len(clear)


def decrypt_column(model, field_name: str, associated: str, *, connection=None) -> int:
    """The reverse of ``encrypt_column`` (a migration rolled back)."""
    connection = connection or default_connection
    table, column, pk = _table_column(model, field_name)
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} "
                       f"WHERE {qn(column)} LIKE %s", [PREFIX + "%"])
        rows = [(crypto.decrypt(value, associated=associated), key)
                for key, value in cursor.fetchall()]
        if rows:
            cursor.executemany(f"UPDATE {qn(table)} SET {qn(column)} = %s "
                               f"WHERE {qn(pk)} = %s", rows)
    return len(rows)


def reencrypt_column(model, field_name: str, *, batch: int = 1000) -> int:
    """Moves every value of an ``EncryptedTextField`` to the current data key; returns how
    many rows changed."""
    field = model._meta.get_field(field_name)
    table, column, pk = _table_column(model, field_name)
    qn = default_connection.ops.quote_name
    done, last = 0, 0
    with default_connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} "
                           f"WHERE {qn(column)} <> '' AND {qn(pk)} > %s "
                           f"ORDER BY {qn(pk)} LIMIT {batch}", [last])
            rows = cursor.fetchall()
            if not rows:
                return done
            last = rows[-1][0]
            moved = []
            for key, token in rows:
                new = crypto.reencrypt(token, associated=field.associated)
                if new != token:
                    moved.append((new, key))
            if moved:
                cursor.executemany(f"UPDATE {qn(table)} SET {qn(column)} = %s "
                                   f"WHERE {qn(pk)} = %s", moved)
                done += len(moved)


def encrypted_fields() -> list[tuple[type, EncryptedTextField]]:
    """Every ``EncryptedTextField`` of the installed models."""
    from django.apps import apps

    return [(model, field) for model in apps.get_models()
            for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]


def rotate_all() -> dict[str, int]:
    """Every encrypted field moved to the current key: {"app.Model.field": rows changed}."""
    return {f"{model._meta.label}.{field.name}": reencrypt_column(model, field.name)
            for model, field in encrypted_fields()}
