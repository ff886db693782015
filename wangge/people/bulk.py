"""The fast import path for base data: people and houses from CSV streams, by the hundred
thousand.

The rules are those of wangge/people/importer.py (the row-by-row path through the services):
the same columns, the same checks and row-level problems (row, column, reason), matching by
the ID number's keyed hash so a re-import updates and never duplicates, all or nothing unless
``skip_bad_rows``, a masked history row (PersonChange, source "import") for every person
created or changed. What differs is how: rows are validated in memory in chunks, against
dictionaries loaded once (area code → area, tag name → tag); the existing people of a chunk are
found with one ``WHERE id_hash IN …`` per few hundred rows; new rows go in with multi-row
INSERTs (SQLite) or COPY (PostgreSQL), changed rows with ``executemany``; the history likewise.

Houses (columns grid_code, building, unit, room, usage, floor_area_m2, owner_id_number) are
matched by grid + building name + unit + room; buildings missing in a grid are created by name.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring_ascii as _json_string
from operator import itemgetter
from typing import NamedTuple

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from wangge.core import crypto
from wangge.core.exporting import unneutralise
from wangge.core.identifiers import IdentifierError, mask, mask_phone, normalize_id_number
from wangge.core.tabular import RowProblem
from wangge.people import services
from wangge.people.importer import (
    COLUMNS,
    KIND_ALIASES,
    REQUIRED,
    TAG_SPLIT,
    PeopleImportError,
)
from wangge.people.models import (
    CHANGE_SENSITIVE_ASSOCIATED,
    ID_ASSOCIATED,
    PHONE_ASSOCIATED,
    SENSITIVE_TAGS_ASSOCIATED,
    Kind,
    Person,
    PersonChange,
    SensitiveTagLink,
    Tag,
)
from wangge.territory.models import Area

CHUNK = 20_000
WRITE_CHUNKS = 5  # chunks of people written at a time
LOOKUP_BATCH = 900  # parameters per IN (…): below SQLite's oldest limit
ROWS_PER_STATEMENT = 400  # multi-row INSERT on SQLite
flatten = itertools.chain.from_iterable

HOUSE_COLUMNS = ["grid_code", "building", "unit", "room", "usage", "floor_area_m2",
                 "owner_id_number"]
HOUSE_REQUIRED = ["grid_code", "building", "room"]
USAGE_ALIASES = {"自住": "owner", "出租": "rented", "空置": "vacant", "经营": "business"}

Progress = Callable[[int], None] | None
KINDS = frozenset(Kind.values)
_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_ID_OFFSET = 48 * sum(_ID_WEIGHTS)  # the digits' ASCII codes, weighted
_BAD_PROVINCES = frozenset(("10", "20", "30", "40", "50", "60", "70", "80", "90"))


class _IdChecker:
    """normalize_id_number, with a fast path for the common case (18 characters, a cached
    birth date) and the same function for everything else, so the same numbers pass and the
    same messages are given."""

    def __init__(self):
        self.today = dt.date.today()
        self.dates: dict[str, bool] = {}

    def _date_ok(self, text: str) -> bool:
        ok = self.dates.get(text)
        if ok is None:
            try:
                born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
                ok = born.year >= 1880 and born <= self.today
            except ValueError:
                ok = False
            self.dates[text] = ok
        return ok

    def __call__(self, value: str) -> str:
        number = value
        if len(number) == 18 and number.isascii():
            first17 = number[:17]
            last = number[17]
            if last == "x":
                number = first17 + "X"
                last = "X"
            if (first17.isdigit() and (last == "X" or last.isdigit()) and number[0] != "0"
                    and number[:2] not in _BAD_PROVINCES and self._date_ok(number[6:14])
                    and "10X98765432"[(sum(map(int.__mul__, first17.encode(), _ID_WEIGHTS))
                                       - _ID_OFFSET) % 11] == last):
                return number
        return normalize_id_number(value)


def _phone(raw: str) -> str:
    if not raw or (raw.isascii() and raw.isdigit() and 7 <= len(raw) <= 15):
        return raw
    return services.normalize_phone(raw)


# --- reading ------------------------------------------------------------------------------------
def _header(reader, columns: list[str], required: list[str],
            source: str) -> tuple[list[tuple[str, int]], list[str]]:
    """The positions of ``columns`` in the header row (and the columns absent from it)."""
    try:
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader)]
    except StopIteration:
        raise PeopleImportError([RowProblem(1, "", "the file is empty")], source) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise PeopleImportError([RowProblem(1, c, "missing column") for c in missing], source)
    index = [(name, header.index(name)) for name in columns if name in header]
    absent = [name for name in columns if name not in header]
    return index, absent


def _values(record: list[str], index: list[tuple[str, int]], absent: list[str]) -> dict | None:
    """A CSV record as a dict of the columns (stripped, the quote an export put before a
    formula character taken off); None for a blank record."""
    if not any(cell.strip() for cell in record):
        return None
    width = len(record)
    values = {name: (record[i].strip() if i < width else "") for name, i in index}
    for name, value in values.items():
        if value[:1] == "'":  # a cell an export kept from running as a formula
            values[name] = unneutralise(value).strip()
    for name in absent:
        values[name] = ""
    return values


def iter_csv(stream: io.TextIOBase | Iterable[str], columns: list[str] = COLUMNS,
             required: list[str] = REQUIRED, source: str = "") -> Iterator[dict | None]:
    """Rows of a CSV text stream as dicts (the header is row 1, so the first yielded row is row
    2); blank rows are None. A missing required column raises PeopleImportError."""
    reader = csv.reader(stream)
    index, absent = _header(reader, columns, required, source)
    for record in reader:
        yield _values(record, index, absent)


def _chunks(rows: Iterable[dict | None], size: int) -> Iterator[list[tuple[int, dict]]]:
    block: list[tuple[int, dict]] = []
    for number, row in enumerate(rows, start=2):
        if row is None:
            continue
        block.append((number, row))
        if len(block) >= size:
            yield block
            block = []
    if block:
        yield block


class _Lines(NamedTuple):
    """A block of a CSV file as its raw lines: whole records, the first of them row
    ``start``. The reading process only finds where records end (a quoted field may hold line
    breaks); a worker process parses the lines into rows."""

    start: int
    lines: list[str]
    index: list[tuple[str, int]]
    absent: list[str]


def _line_blocks(stream: io.TextIOBase | Iterable[str], size: int, columns: list[str] = COLUMNS,
                 required: list[str] = REQUIRED, source: str = "") -> Iterator[_Lines]:
    lines: list[str] = []
    keep = lines.append
    source_lines = iter(stream)

    def kept():
        for line in source_lines:
            keep(line)
            yield line

    def record_from(line: str) -> None:
        """Reads the rest of the record that begins with ``line`` (kept already): csv reads
        a line only while the record so far is incomplete."""
        next(csv.reader(itertools.chain((line,), kept())), None)

    index, absent = _header(csv.reader(kept()), columns, required, source)
    lines.clear()
    start, count = 2, 0
    for line in source_lines:
        keep(line)
        if '"' in line:  # a quoted field may hold line breaks; elsewhere a line is a record
            record_from(line)
        count += 1
        if count >= size:
            yield _Lines(start, lines.copy(), index, absent)
            start += count
            count = 0
            lines.clear()
    if count:
        yield _Lines(start, lines.copy(), index, absent)


def _rows_of(block: _Lines | list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """The numbered non-blank rows of a block, as iter_csv and _chunks give them."""
    if not isinstance(block, _Lines):
        return block
    index, absent = block.index, block.absent
    return [(number, values) for number, record in enumerate(csv.reader(block.lines),
                                                             start=block.start)
            if (values := _values(record, index, absent)) is not None]


# --- sealing and hashing, the formats of wangge/core/crypto.py, set up once -----------------
class _Sealer:
    def __init__(self):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.key_id, key = crypto._keys()[0]
        self.aes = AESGCM(key)
        lookup = getattr(crypto.settings, "WANGGE_LOOKUP_KEY", "") or ""
        if len(lookup) < 32:
            raise ImproperlyConfigured("LOOKUP_KEY must be set to 32+ random characters")
        self.lookup_key = lookup.encode()
        # HMAC-SHA256 with the key's inner and outer pads hashed once (RFC 2104)
        key = self.lookup_key if len(self.lookup_key) <= 64 else hashlib.sha256(
            self.lookup_key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def seal(self, text: str, associated: bytes) -> str:
        if not text:
            return ""
        nonce = os.urandom(12)
        sealed = self.aes.encrypt(nonce, text.encode(), associated)
        return f"v1:{self.key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def hash(self, value: str) -> str:
        """crypto.lookup_hash for a value already normalized (stripped, upper case)."""
        inner = self._inner.copy()
        inner.update(value.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


# --- writing ------------------------------------------------------------------------------------
def _stamp(moment: dt.datetime):
    """A datetime as this backend stores it (SQLite: naive UTC text, as Django writes it)."""
    if connection.vendor == "sqlite":
        return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return moment


def _json(value):
    return None if value is None else json.dumps(value)


def copy_escape(text: str) -> str:
    """Text as a field of PostgreSQL's COPY text format."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))
    return text


NULL = "\\N"  # in COPY text


def copy_value(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, str):
        return copy_escape(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def copy_lines(table: str, columns: list[str], lines: list[str]) -> None:
    """COPY … FROM STDIN of lines already in the text format (PostgreSQL)."""
    if not lines:
        return
    quoted = connection.ops.quote_name
    names = ", ".join(quoted(c) for c in columns)
    with connection.cursor() as cursor, \
            cursor.cursor.copy(f"COPY {quoted(table)} ({names}) FROM STDIN") as copy:
        for start in range(0, len(lines), 4096):
            copy.write("".join(lines[start:start + 4096]))


def insert_rows(table: str, columns: list[str], rows: list[tuple],
                returning: str = "") -> list[tuple]:
    """Multi-row INSERTs, or COPY on PostgreSQL. With ``returning`` (SQLite), the rows of
    INSERT … RETURNING ``returning``."""
    if not rows:
        return []
    quoted = connection.ops.quote_name
    names = ", ".join(quoted(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the driver adapts any value (bulk_insert)
            with cursor.cursor.copy(f"COPY {quoted(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return []
        if connection.vendor != "sqlite":
            marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                part = rows[start:start + ROWS_PER_STATEMENT]
                cursor.execute(f"INSERT INTO {quoted(table)} ({names}) "  # noqa: S608
                               f"VALUES {', '.join([marks] * len(part))}",
                               [value for row in part for value in row])
            return []
        # SQLite: the driver's own cursor, with ? marks (Django's wrapper rewrites %s marks
        # with a regular expression per statement); a full statement of rows at a time
        raw = cursor.cursor
        marks = "(" + ", ".join(["?"] * len(columns)) + ")"
        tail = f" RETURNING {returning}" if returning else ""
        found: list[tuple] = []
        full = len(rows) - len(rows) % ROWS_PER_STATEMENT
        sql = (f"INSERT INTO {quoted(table)} ({names}) "  # noqa: S608
               f"VALUES {', '.join([marks] * ROWS_PER_STATEMENT)}{tail}")
        for start in range(0, full, ROWS_PER_STATEMENT):
            part = rows[start:start + ROWS_PER_STATEMENT]
            found += sqlite3_execute(raw, sql, list(flatten(part)))
        if full < len(rows):
            part = rows[full:]
            found += sqlite3_execute(raw, f"INSERT INTO {quoted(table)} ({names}) "  # noqa: S608
                                     f"VALUES {', '.join([marks] * len(part))}{tail}",
                                     list(flatten(part)))
        return found


def sqlite3_execute(raw_cursor, sql: str, params: list) -> list[tuple]:
    import sqlite3

    sqlite3.Cursor.execute(raw_cursor, sql, params)
    return raw_cursor.fetchall()


@contextlib.contextmanager
def _big_cache(mebibytes: int = 1024):
    """A larger SQLite page cache while importing: the hash indexes of millions of rows are
    written at random places."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(mebibytes)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


@contextlib.contextmanager
def _checks_at_once(tables: list[str]):
    """PostgreSQL: the deferred foreign keys of ``tables`` and to them checked at the end of
    each statement instead of at commit (the same checks, but while the workers keep working,
    and no queue of millions of pending checks; the checks pending from earlier in the
    transaction run now); deferred again afterwards."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(conname) FROM pg_constraint WHERE contype = 'f' "
                       "AND condeferrable AND condeferred AND (conrelid = ANY(%s::regclass[]) "
                       "OR confrelid = ANY(%s::regclass[]))", [tables, tables])
        names = ", ".join(row[0] for row in cursor.fetchall())
        if names:
            cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
    yield
    if names:
        with connection.cursor() as cursor:
            cursor.execute(f"SET CONSTRAINTS {names} DEFERRED")


def _drop_secondary_indexes(tables: list[str], referenced: tuple[str, ...] = ()) -> list[str]:
    """PostgreSQL, in the import's transaction: drops what _create_indexes builds again before
    the commit, for a first large load into an empty table: the indexes of ``tables`` that
    enforce nothing (not unique, not a primary key, no constraint's), and the foreign keys
    from ``tables`` to ``tables`` or ``referenced`` (checked then by one join instead of once a
    row; the referenced tables are locked too). Returns the statements
    that create them again. The tables are locked against other sessions until the commit (an
    ACCESS EXCLUSIVE lock); a rollback brings everything back. SQLite: the indexes only (its
    readers keep their snapshot, with the indexes, until the commit)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            marks = ", ".join(["%s"] * len(tables))
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
                           f"AND tbl_name IN ({marks}) AND sql IS NOT NULL ORDER BY name",
                           tables)
            indexes = [(name, sql) for name, sql in cursor.fetchall()
                       if not sql.upper().startswith("CREATE UNIQUE")]
            for name, _sql in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        return [sql for _name, sql in indexes]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique "
            "AND NOT i.indisprimary AND i.indisvalid AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid", [tables])
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "AND confrelid = ANY(%s::regclass[]) ORDER BY oid", [tables, [*tables, *referenced]])
        keys = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes] + [
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
        for table, name, definition in keys]


def _create_indexes(definitions: list[str]) -> None:
    if not definitions:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in definitions:
            cursor.execute(definition)


def _select_in(sql: str, keys: list, extra: tuple = ()) -> list[tuple]:
    """Runs ``sql`` (with one ``{marks}`` for the IN list) over ``keys`` in batches."""
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(keys), LOOKUP_BATCH):
            part = keys[start:start + LOOKUP_BATCH]
            cursor.execute(sql.format(marks=", ".join(["%s"] * len(part))), [*extra, *part])
            found.extend(cursor.fetchall())
    return found


def _select_where(sql: str, column: str, keys: list) -> list[tuple]:
    """Runs ``sql`` (with one ``{where}``: ``column`` is one of ``keys``): on PostgreSQL one
    query with ``= ANY(array)`` (a bound parameter), elsewhere IN lists in batches."""
    if not keys:
        return []
    if connection.vendor != "postgresql":
        return _select_in(sql.format(where=f"{column} IN ({{marks}})"), keys)
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:  # server-side binding
        cursor.execute(sql.format(where=f"{column} = ANY(%s)"), [keys])
        return cursor.fetchall()


# --- people -------------------------------------------------------------------------------------
PERSON_INSERT = ["name", "kind", "id_number_enc", "id_hash", "birth_date", "sex", "phone_enc",
                 "phone_hash", "area_id", "address", "sensitive_tags_enc", "created_at",
                 "updated_at"]
PERSON_COPY = ["id", "created_at", "updated_at", *PERSON_INSERT[:-2]]
CHANGE_INSERT = ["person_id", "actor_id", "at", "action", "source", "before", "after",
                 "sensitive_enc"]
LINK_INSERT = ["person_id", "token"]


class _PeopleContext:
    def __init__(self, actor):
        self.actor = actor
        self.sealer = _Sealer()
        self.areas = {a.code: a for a in Area.objects.all()}
        self.area_codes = {a.pk: a.code for a in self.areas.values()}
        self.area_of = _area_checks(self.areas, actor)
        self.tags = {t.name: t for t in Tag.objects.all()}
        self.tags_by_pk = {t.pk: t for t in self.tags.values()}
        # the keyed hash standing for each sensitive tag (wangge/people/models.py)
        self.tokens = {t.pk: services.tag_token(t) for t in self.tags.values() if t.sensitive}
        self.sees_sensitive = services.can_view_sensitive_tags(actor)
        self.seen: dict[int, int] = {}  # ID number (as an int, X → 10) → its first row
        self.id_number = _IdChecker()
        self.copy = connection.vendor == "postgresql"  # rows as COPY text
        self.empty = False  # no people when the import began (in its transaction)
        self.sequence = ""  # PostgreSQL: the sequence of Person ids
        self.batch: list[tuple] = []  # checked rows (CHECKED) not written yet
        self.gathered = 0  # chunks in the batch

    def next_ids(self, count: int) -> list[int]:
        """``count`` new Person ids from the table's sequence (PostgreSQL)."""
        if not self.sequence:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')",
                               [Person._meta.db_table])
                self.sequence = cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                           [self.sequence, count])
            return sorted(row[0] for row in cursor.fetchall())


# A valid row of people, checked and sealed (by a worker), as the writer needs it: a plain
# tuple (fast to pickle) of these fields. NEW is the new record (PostgreSQL: its COPY line
# without the id and the times; elsewhere the values of PERSON_INSERT[:-2]); CREATED the
# history's snapshot of the new record (JSON without the sensitive tags; COPY text on
# PostgreSQL) and CREATED_SENSITIVE its sensitive tags, sealed ("" for none).
CHECKED = ("row", "id_hash", "name", "kind", "phone_hash", "phone_enc", "area_id", "address",
           "tag_ids", "masked_id", "masked_phone", "new", "created", "created_sensitive")
ROW, HASH, TAG_IDS, MASKED_ID, NEW, CREATED, CREATED_SENSITIVE = (
    CHECKED.index(name) for name in ("row", "id_hash", "tag_ids", "masked_id", "new",
                                     "created", "created_sensitive"))


def _number_key(number: str) -> int:
    return int(number[:17]) * 11 + (10 if number[17] == "X" else int(number[17]))


def _validate_person(ctx: _PeopleContext, number: int, row: dict,
                     problems: list[RowProblem], ids: list) -> dict | None:
    """The checks of importer.validate for one row, but for duplicates in the file (see
    _consume); the resolved values or None. A valid ID number is added to ``ids`` (as its
    row, its key and its masked form)."""
    before = len(problems)

    def bad(column, message):
        problems.append(RowProblem(number, column, message))

    name = row["name"]
    if not name:
        bad("name", "a name is required")
    elif len(name) > 50:
        bad("name", "a name has at most 50 characters")
    kind = KIND_ALIASES.get(row["kind"], row["kind"] or Kind.REGISTERED)
    if kind not in KINDS:
        bad("kind", f"{row['kind']!r} is not one of {', '.join(Kind.values)}")
    id_number = ""
    try:
        id_number = ctx.id_number(row["id_number"])
    except IdentifierError as exc:
        bad("id_number", str(exc))
    if id_number:
        ids.append((number, _number_key(id_number), mask(id_number)))
    phone = ""
    try:
        phone = _phone(row["phone"])
    except IdentifierError as exc:
        bad("phone", str(exc))
    area, message = ctx.area_of(row["area_code"])
    if message:
        bad("area_code", message)
    address = row["address"]
    if len(address) > 200:
        bad("address", "an address has at most 200 characters")
    tags = []
    if row["tags"]:
        for tag_name in (n.strip() for n in TAG_SPLIT.split(row["tags"])):
            if not tag_name:
                continue
            tag = ctx.tags.get(tag_name)
            if tag is None:
                bad("tags", f"unknown tag {tag_name!r}")
            elif tag.sensitive and not ctx.sees_sensitive:
                bad("tags", "you may not set special-group tags")
            else:
                tags.append(tag)
    if len(problems) != before:
        return None
    return {"row": number, "name": name.strip(), "kind": str(kind), "id_number": id_number,
            "phone": phone, "area_id": area.pk, "area_code": area.code,
            "address": address.strip(),
            "tags": list({t.pk: t for t in tags}.values())}


def _snapshot(name: str, kind: str, masked_id: str, masked_phone: str, area_code: str,
              address: str, tags) -> dict:
    """services.snapshot, from values in memory."""
    return {"name": name, "kind": kind, "id_number": masked_id, "phone": masked_phone,
            "area": area_code, "address": address,
            "tags": sorted(t.name for t in tags if not t.sensitive),
            "sensitive_tags": sorted(t.name for t in tags if t.sensitive)}


def _json_names(names: list[str]) -> str:
    """json.dumps(sorted(names))."""
    if not names:
        return "[]"
    return "[" + ", ".join(map(_json_string, sorted(names))) + "]"


def _created_json(name: str, kind: str, masked_id: str, masked_phone: str, area_code: str,
                  address: str, tags) -> str:
    """json.dumps(_snapshot(…)) of a new record without its sensitive tags (they are stored
    encrypted beside it: PersonChange.sensitive_enc), written out (the same text, faster)."""
    return (f'{{"name": {_json_string(name)}, "kind": {_json_string(kind)}, '
            f'"id_number": "{masked_id}", "phone": "{masked_phone}", '
            f'"area": {_json_string(area_code)}, "address": {_json_string(address)}, '
            f'"tags": {_json_names([t.name for t in tags if not t.sensitive])}}}')


def _sealed_sensitive(ctx: _PeopleContext, tags) -> tuple[str, str]:
    """A new record's sensitive tags, sealed: the person's list of ids and the history's
    names ("" and "" when it has none)."""
    from wangge.people.models import split_sensitive

    ids = [t.pk for t in tags if t.sensitive]
    if not ids:
        return "", ""
    names = sorted(t.name for t in tags if t.sensitive)
    _b, _a, change = split_sensitive(None, {"sensitive_tags": names})
    return (ctx.sealer.seal(services.sensitive_text(ids), SENSITIVE_TAGS_ASSOCIATED.encode()),
            ctx.sealer.seal(change, CHANGE_SENSITIVE_ASSOCIATED.encode()))


def _prepare(ctx: _PeopleContext, good: list[dict]) -> list[tuple]:
    """What a chunk's valid rows need that does not depend on the database: hashes,
    ciphertexts, masked values, the new record and its snapshot, ready to be written (as
    CHECKED tuples)."""
    sealer = ctx.sealer
    digest = sealer.hash
    seal = sealer.aes.encrypt
    prefix = f"v1:{sealer.key_id}:"
    b64 = binascii.b2a_base64
    id_associated, phone_associated = ID_ASSOCIATED.encode(), PHONE_ASSOCIATED.encode()
    nonces = os.urandom(24 * len(good))  # two 96-bit random nonces a row
    copy, empty = ctx.copy, ctx.empty
    checked = []
    for i, values in enumerate(good):
        number, phone = values["id_number"], values["phone"]
        name, kind, area_id, address = (values["name"], values["kind"], values["area_id"],
                                        values["address"])
        tags = values["tags"]
        nonce = nonces[24 * i:24 * i + 12]
        id_hash = digest(number)
        id_enc = prefix + b64(nonce + seal(nonce, number.encode(), id_associated),
                              newline=False).decode()
        if phone:
            nonce = nonces[24 * i + 12:24 * i + 24]
            phone_hash = digest(phone)
            phone_enc = prefix + b64(nonce + seal(nonce, phone.encode(), phone_associated),
                                     newline=False).decode()
        else:
            phone_hash = phone_enc = ""
        masked_id = f"{number[:4]}**********{number[14:]}" if len(number) == 18 else mask(
            number)
        masked_phone = mask_phone(phone)
        birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        sex = "M" if int(number[16]) % 2 else "F"
        created = _created_json(name, kind, masked_id, masked_phone, values["area_code"],
                                address, tags)
        sensitive, created_sensitive = _sealed_sensitive(ctx, tags) if tags else ("", "")
        if copy:
            new = "\t".join((copy_escape(name), kind, id_enc, id_hash, birth, sex, phone_enc,
                             phone_hash, str(area_id), copy_escape(address), sensitive))
            created = created.replace("\\", "\\\\")  # JSON (ASCII): no tabs or line breaks
        else:
            new = (name, kind, id_enc, id_hash, birth, sex, phone_enc, phone_hash, area_id,
                   address, sensitive)
        if empty:  # nothing to compare with: only what a new record needs (less to pickle)
            checked.append((values["row"], id_hash, None, None, None, None, None, None,
                            tuple(t.pk for t in tags), None, None, new, created,
                            created_sensitive))
        else:
            checked.append((values["row"], id_hash, name, kind, phone_hash, phone_enc,
                            area_id, address, tuple(t.pk for t in tags), masked_id,
                            masked_phone, new, created, created_sensitive))
    return checked


def _write_people(ctx: _PeopleContext, good: list[tuple], problems: list[RowProblem],
                  source: str = "import") -> dict:
    """Inserts the new people and updates the changed ones of a checked chunk (CHECKED
    tuples), with their history rows."""
    person_table = Person._meta.db_table
    through = Person.tags.through._meta.db_table
    change_table = PersonChange._meta.db_table
    link_table = SensitiveTagLink._meta.db_table
    qn = connection.ops.quote_name
    existing = {}
    if not ctx.empty:  # (an import into an empty table finds only new people)
        existing = {row[1]: row for row in _select_where(
            f"SELECT id, id_hash, name, kind, phone_hash, phone_enc, area_id, "  # noqa: S608
            f"address, sensitive_tags_enc FROM {qn(person_table)} WHERE {{where}}",
            "id_hash", [checked[HASH] for checked in good])}
    visible: set[int] | None = None
    if ctx.actor is not None and existing:
        ids = [row[0] for row in existing.values()]
        visible = set()
        for start in range(0, len(ids), LOOKUP_BATCH):
            visible.update(Person.objects.visible_to(ctx.actor)
                           .filter(pk__in=ids[start:start + LOOKUP_BATCH])
                           .values_list("pk", flat=True))
    old_tags: dict[int, list] = {}
    if existing:
        for person_id, tag_id in _select_where(
                f"SELECT person_id, tag_id FROM {qn(through)} WHERE {{where}}",  # noqa: S608
                "person_id", [row[0] for row in existing.values()]):
            old_tags.setdefault(person_id, []).append(ctx.tags_by_pk[tag_id])
        for row in existing.values():
            if row[8]:  # the sensitive tags, decrypted
                ids = services.sensitive_ids(crypto.decrypt(
                    row[8], associated=SENSITIVE_TAGS_ASSOCIATED))
                old_tags.setdefault(row[0], []).extend(
                    ctx.tags_by_pk[i] for i in ids if i in ctx.tags_by_pk)
    now = timezone.now()
    stamp = _stamp(now)
    actor_id = ctx.actor.pk if ctx.actor is not None else None
    tags_by_pk, area_codes = ctx.tags_by_pk, ctx.area_codes
    new, updates, changes, tag_adds, tag_drops, link_adds, link_drops = [], [], [], [], [], \
        [], []
    tokens = ctx.tokens
    unchanged = 0
    for checked in good:
        old = existing.get(checked[HASH]) if existing else None
        if old is None:
            new.append(checked)
            continue
        (row, _hash, name, kind, phone_hash, phone_enc, area_id, address, tag_ids, masked_id,
         masked_phone, _new, _created, _created_sensitive) = checked
        pk, _hash, old_name, old_kind, old_phone_hash, old_phone_enc, old_area_id, \
            old_address, old_sensitive = old
        if visible is not None and pk not in visible:
            problems.append(RowProblem(row, "id_number", "this ID number is already "
                                       "registered in another jurisdiction"))
            continue
        tags_before = old_tags.get(pk, [])
        tags_after = [tags_by_pk[tag_id] for tag_id in tag_ids]
        if not ctx.sees_sensitive:
            tags_after = tags_after + [t for t in tags_before if t.sensitive]
        same_phone = old_phone_hash == phone_hash
        old_phone_masked = masked_phone if same_phone else mask_phone(
            crypto.decrypt(old_phone_enc, associated=PHONE_ASSOCIATED))
        before = _snapshot(old_name, old_kind, masked_id, old_phone_masked,
                           area_codes[old_area_id], old_address, tags_before)
        after = _snapshot(name, kind, masked_id, masked_phone, area_codes[area_id], address,
                          tags_after)
        if before == after:
            unchanged += 1
            continue
        old_ids = {t.pk for t in tags_before}
        new_ids = {t.pk for t in tags_after}
        secret_before = {t.pk for t in tags_before if t.sensitive}
        secret_after = {t.pk for t in tags_after if t.sensitive}
        sealed = old_sensitive if secret_after == secret_before else ctx.sealer.seal(
            services.sensitive_text(secret_after), SENSITIVE_TAGS_ASSOCIATED.encode())
        updates.append((name, kind, old_phone_enc if same_phone else phone_enc, phone_hash,
                        area_id, address, sealed, stamp, pk))
        tag_adds += [(pk, tag_id) for tag_id in new_ids - old_ids - secret_after]
        tag_drops += [(pk, tag_id) for tag_id in old_ids - new_ids - secret_before]
        link_adds += [(pk, tokens[tag_id]) for tag_id in secret_after - secret_before]
        link_drops += [(pk, tokens[tag_id]) for tag_id in secret_before - secret_after]
        changes.append(_change_row(ctx, pk, actor_id, stamp, PersonChange.Action.UPDATED.value,
                                   source, before, after))
    new.sort(key=itemgetter(HASH))  # fewer index pages touched at a time
    created_action = PersonChange.Action.CREATED.value
    if new and ctx.copy:  # the ids from the sequence: no reading back
        pks = ctx.next_ids(len(new))
        at = now.isoformat()
        copy_lines(person_table, PERSON_COPY, [f"{pk}\t{at}\t{at}\t{checked[NEW]}\n"
                                               for pk, checked in zip(pks, new, strict=True)])
        head = (f"\t{copy_value(actor_id)}\t{at}\t{created_action}\t{copy_escape(source)}"
                f"\t{NULL}\t")
        copy_lines(change_table, CHANGE_INSERT, [
            f"{pk}{head}{checked[CREATED]}\t{checked[CREATED_SENSITIVE]}\n"
            for pk, checked in zip(pks, new, strict=True)])
        for pk, checked in zip(pks, new, strict=True):
            for tag_id in checked[TAG_IDS]:
                if tag_id in tokens:
                    link_adds.append((pk, tokens[tag_id]))
                else:
                    tag_adds.append((pk, tag_id))
    elif new:
        rows = [(*checked[NEW], stamp, stamp) for checked in new]
        if connection.vendor == "sqlite":
            ids = dict(insert_rows(person_table, PERSON_INSERT, rows, returning="id_hash, id"))
        else:
            insert_rows(person_table, PERSON_INSERT, rows)
            ids = {h: pk for pk, h in _select_where(
                f"SELECT id, id_hash FROM {qn(person_table)} WHERE {{where}}",  # noqa: S608
                "id_hash", [checked[HASH] for checked in new])}
        for checked in new:
            pk = ids[checked[HASH]]
            for tag_id in checked[TAG_IDS]:
                if tag_id in tokens:
                    link_adds.append((pk, tokens[tag_id]))
                else:
                    tag_adds.append((pk, tag_id))
            changes.append((pk, actor_id, stamp, created_action, source, None,
                            checked[CREATED], checked[CREATED_SENSITIVE]))
    if updates:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {qn(person_table)} SET name = %s, kind = %s, phone_enc = %s, "  # noqa: S608
                f"phone_hash = %s, area_id = %s, address = %s, sensitive_tags_enc = %s, "
                f"updated_at = %s WHERE id = %s",
                updates)
    if tag_drops:
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {qn(through)} "  # noqa: S608
                               f"WHERE person_id = %s AND tag_id = %s", tag_drops)
    if link_drops:
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {qn(link_table)} "  # noqa: S608
                               f"WHERE person_id = %s AND token = %s", link_drops)
    insert_rows(through, ["person_id", "tag_id"], tag_adds)
    insert_rows(link_table, LINK_INSERT, link_adds)
    insert_rows(change_table, CHANGE_INSERT, changes)
    return {"created": len(new), "updated": len(updates), "unchanged": unchanged}


def _change_row(ctx: _PeopleContext, pk: int, actor_id, stamp, action: str, source: str,
                before: dict | None, after: dict) -> tuple:
    """A history row (CHANGE_INSERT) with the snapshots' sensitive tags sealed apart."""
    from wangge.people.models import split_sensitive

    before, after, text = split_sensitive(before, after)
    sealed = ctx.sealer.seal(text, CHANGE_SENSITIVE_ASSOCIATED.encode()) if text else ""
    return (pk, actor_id, stamp, action, source, _json(before), _json(after), sealed)


_FORK_CONTEXT = None  # the context of the import, inherited by the forked workers


def _in_worker(check: Callable, block) -> tuple:
    return check(block, _FORK_CONTEXT)


def _pipeline(blocks: Iterable, check: Callable, consume: Callable, ctx, workers: int,
              second: Callable | None = None) -> None:
    """``check(block, ctx)`` for each block (from the second block on in ``workers`` forked
    processes, which inherit ``ctx``, a few blocks ahead, so they keep working while this
    process writes) and ``consume(result)`` in this
    process, in order; ``second()`` before the second block (a large import)."""
    global _FORK_CONTEXT
    pool = None
    pending: collections.deque = collections.deque()
    try:
        for n, block in enumerate(blocks):
            if n == 1:
                if second is not None:
                    second()
                if workers > 0:
                    _FORK_CONTEXT = ctx
                    pool = multiprocessing.get_context("fork").Pool(workers)
            if pool is None:
                pending.append(check(block, ctx))
            else:
                pending.append(pool.apply_async(_in_worker, (check, block)))
            while len(pending) > (2 * workers + 2 if pool is not None else 0):
                result = pending.popleft()
                consume(result if isinstance(result, tuple) else result.get())
        while pending:
            result = pending.popleft()
            consume(result if isinstance(result, tuple) else result.get())
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        _FORK_CONTEXT = None


def _default_workers(workers: int | None) -> int:
    if workers is None:  # checking and sealing in other processes, writing in this one
        cpus = os.cpu_count() or 1
        workers = min(4, cpus) if cpus > 1 else 0
    return workers


def _check_chunk(block: _Lines | list[tuple[int, dict]], ctx: _PeopleContext) -> tuple:
    """Parses (a block of lines), checks and seals a chunk, in a worker process when there
    are several chunks: the checked rows, the problems, the valid ID numbers (row, key,
    masked) and the number of rows."""
    problems: list[RowProblem] = []
    ids: list[tuple[int, int, str]] = []
    rows = _rows_of(block)
    good = [v for n, row in rows
            if (v := _validate_person(ctx, n, row, problems, ids)) is not None]
    return _prepare(ctx, good), problems, ids, len(rows)


def _consume(ctx: _PeopleContext, result, problems: list[RowProblem], skip_bad_rows: bool,
             source: str, totals: dict) -> None:
    """The duplicates in the file (over all chunks), then the writes of a checked chunk."""
    good, chunk_problems, ids, count = result
    totals["rows"] += count
    problems.extend(chunk_problems)
    twice = set()
    seen = ctx.seen
    for number, key, masked in ids:
        first = seen.get(key)
        if first is not None:
            problems.append(RowProblem(number, "id_number",
                                       f"{masked} appears twice (also row {first})"))
            twice.add(number)
        else:
            seen[key] = number
    if problems and not skip_bad_rows:
        return  # keep checking, to report every problem; nothing will be written
    if twice:
        good = [checked for checked in good if checked[ROW] not in twice]
    ctx.batch += good
    ctx.gathered += 1
    if ctx.gathered >= WRITE_CHUNKS:
        _flush(ctx, problems, totals)


def _flush(ctx: _PeopleContext, problems: list[RowProblem], totals: dict) -> None:
    """Writes the checked rows gathered so far: a few chunks at a time, so that each write
    touches the pages of the ID number hash index (in hash order) fewer times."""
    if ctx.batch:
        for name, n in _write_people(ctx, ctx.batch, problems).items():
            totals[name] += n
    ctx.batch, ctx.gathered = [], 0


def import_people(rows: Iterable[dict | None], *, actor=None, skip_bad_rows: bool = False,
                  source: str = "", progress: Progress = None, chunk: int = CHUNK,
                  workers: int | None = None) -> dict:
    """Imports people rows (dicts with the importer's COLUMNS; the first is row 2, None for a
    blank row), as importer.import_people does: all or nothing (PeopleImportError with every
    problem), or only the good rows with ``skip_bad_rows``. Returns the counts, the problems
    and the rows read."""
    return _import_people(_chunks(rows, chunk), actor=actor, skip_bad_rows=skip_bad_rows,
                          source=source, progress=progress, workers=workers)


def import_people_csv(stream, *, chunk: int = CHUNK, **options) -> dict:
    """import_people of a CSV text stream; the worker processes parse the lines too."""
    return _import_people(_line_blocks(stream, chunk, source=options.get("source", "")),
                          **options)


def _import_people(blocks: Iterable, *, actor=None, skip_bad_rows: bool = False,
                   source: str = "", progress: Progress = None,
                   workers: int | None = None) -> dict:
    ctx = _PeopleContext(actor)
    problems: list[RowProblem] = []
    totals = {"created": 0, "updated": 0, "unchanged": 0, "rows": 0}
    tables = [Person._meta.db_table, PersonChange._meta.db_table,
              Person.tags.through._meta.db_table, SensitiveTagLink._meta.db_table]
    rebuild: list[str] = []

    def consume(result):
        _consume(ctx, result, problems, skip_bad_rows, source, totals)
        if progress:
            progress(totals["rows"])

    def second():
        if ctx.empty and connection.vendor in ("postgresql", "sqlite"):  # a large import
            rebuild.extend(_drop_secondary_indexes(tables[:2]))  # into an empty table

    with _big_cache(), transaction.atomic(), _checks_at_once(tables):
        ctx.empty = not Person.objects.exists()
        _pipeline(blocks, _check_chunk, consume, ctx, _default_workers(workers), second)
        if not problems or skip_bad_rows:
            _flush(ctx, problems, totals)
        if problems and not skip_bad_rows:  # rolls everything back
            problems.sort(key=lambda p: (p.row, p.column))
            raise PeopleImportError(problems, source)
        _create_indexes(rebuild)
    problems.sort(key=lambda p: (p.row, p.column))
    read = totals.pop("rows")
    return {**totals, "skipped": len({p.row for p in problems}), "problems": problems,
            "rows": read}


# --- houses -------------------------------------------------------------------------------------
BUILDING_INSERT = ["grid_id", "name", "kind", "qr_token", "created_at", "updated_at"]
HOUSE_INSERT = ["building_id", "unit_no", "room_no", "usage", "floor_area_m2", "owner_id",
                "created_at", "updated_at"]


def _area_checks(areas: dict, actor) -> Callable[[str], tuple]:
    """The check of an area code (people's area_code, houses' grid_code), once per code:
    (area, None) or (None, message)."""
    known: dict[str, tuple] = {}

    def check(code: str) -> tuple:
        found = known.get(code)
        if found is None:
            grid = areas.get(code)
            if grid is None:
                found = (None, f"no area has the code {code!r}")
            elif grid.level not in services.PERSON_LEVELS:
                found = (None, f"{grid.code} is not a grid or a community")
            elif actor is not None and not actor.can_see_area(grid):
                found = (None, f"{grid.code} is outside your jurisdiction")
            else:
                found = (grid, None)
            known[code] = found
        return found

    return check


class _HousesContext:
    def __init__(self, actor):
        from wangge.places.models import Usage

        self.sealer = _Sealer()
        self.id_number = _IdChecker()
        self.grid_of = _area_checks({a.code: a for a in Area.objects.all()}, actor)
        self.usages = frozenset(Usage.values)
        self.usage_list = ", ".join(Usage.values)
        self.default_usage = str(Usage.OWNER)


def _check_houses(block: _Lines | list[tuple[int, dict]], ctx: _HousesContext) -> tuple:
    """Parses (a block of lines) and checks a chunk of houses, in a worker process when there
    are several chunks: the good rows (row, grid id, building name, unit, room, usage, area,
    the owner's ID number hash), the problems, the rows' keys for the duplicates in the file
    (row, (grid id, building name, unit, room)) and the number of rows."""
    problems: list[RowProblem] = []
    good, keys = [], []
    rows = _rows_of(block)
    grid_of, usages, digest, id_number = ctx.grid_of, ctx.usages, ctx.sealer.hash, ctx.id_number
    for number, row in rows:
        before = len(problems)

        def bad(column, message, number=number):
            problems.append(RowProblem(number, column, message))

        grid, message = grid_of(row["grid_code"])
        if message:
            bad("grid_code", message)
        name, unit, room = row["building"], row["unit"], row["room"]
        if not name:
            bad("building", "a building name is required")
        elif len(name) > 80:
            bad("building", "a building name has at most 80 characters")
        if len(unit) > 10:
            bad("unit", "a unit has at most 10 characters")
        if not room:
            bad("room", "a room is required")
        elif len(room) > 10:
            bad("room", "a room has at most 10 characters")
        usage = USAGE_ALIASES.get(row["usage"], row["usage"] or ctx.default_usage)
        if usage not in usages:
            bad("usage", f"{row['usage']!r} is not one of {ctx.usage_list}")
        floor_area = None
        if row["floor_area_m2"]:
            try:
                floor_area = float(row["floor_area_m2"])
                if not 0 < floor_area < 100_000:
                    raise ValueError
            except ValueError:
                bad("floor_area_m2", f"{row['floor_area_m2']!r} is not an area in m²")
        owner_hash = ""
        if row["owner_id_number"]:
            try:
                owner_hash = digest(id_number(row["owner_id_number"]))
            except IdentifierError as exc:
                bad("owner_id_number", str(exc))
        if grid is not None and name and room:
            keys.append((number, (grid.pk, name, unit, room)))
        if len(problems) == before:
            good.append((number, grid.pk, name, unit, room, str(usage), floor_area,
                         owner_hash))
    return good, problems, keys, len(rows)


def import_houses(rows: Iterable[dict | None], *, actor=None, skip_bad_rows: bool = False,
                  source: str = "", progress: Progress = None, chunk: int = CHUNK,
                  workers: int | None = None) -> dict:
    """Houses (HOUSE_COLUMNS): matched by grid + building name + unit + room, so a re-import
    updates; buildings missing in a grid are created by name; the owner is found by ID number
    among the people already imported."""
    return _import_houses(_chunks(rows, chunk), actor=actor, skip_bad_rows=skip_bad_rows,
                          source=source, progress=progress, workers=workers)


def import_houses_csv(stream, *, chunk: int = CHUNK, **options) -> dict:
    return _import_houses(_line_blocks(stream, chunk, HOUSE_COLUMNS, HOUSE_REQUIRED,
                                       options.get("source", "")), **options)


def _import_houses(blocks: Iterable, *, actor=None, skip_bad_rows: bool = False,
                   source: str = "", progress: Progress = None,
                   workers: int | None = None) -> dict:
    import secrets

    from wangge.places.models import Building, BuildingKind, House

    ctx = _HousesContext(actor)
    copy = connection.vendor == "postgresql"
    qn = connection.ops.quote_name
    building_table, house_table = Building._meta.db_table, House._meta.db_table
    buildings: dict[tuple[int, str], int] = {}
    loaded_grids: set[int] = set()
    seen: dict[tuple, int] = {}
    problems: list[RowProblem] = []
    totals = {"created": 0, "updated": 0, "unchanged": 0, "buildings_created": 0, "rows": 0}
    rebuild: list[str] = []
    empty = False

    def consume(result):
        good, chunk_problems, keys, count = result
        totals["rows"] += count
        problems.extend(chunk_problems)
        twice = set()
        for number, key in keys:
            first = seen.get(key)
            if first is not None:
                _grid, name, unit, room = key
                problems.append(RowProblem(number, "room", f"{name} {unit}-{room} appears "
                                           f"twice (also row {first})"))
                twice.add(number)
            else:
                seen[key] = number
        if twice:
            good = [values for values in good if values[0] not in twice]
        owners = dict(_select_where(
            f"SELECT id_hash, id FROM {qn(Person._meta.db_table)} "  # noqa: S608
            f"WHERE {{where}}", "id_hash", list({v[7] for v in good if v[7]})))
        kept = []
        for values in good:
            owner_hash = values[7]
            if owner_hash and owner_hash not in owners:
                problems.append(RowProblem(values[0], "owner_id_number",
                                           "no person has this ID number"))
            else:
                kept.append((*values[1:7], owners.get(owner_hash)))
        if problems and not skip_bad_rows:
            return  # keep checking, to report every problem; nothing will be written
        now = timezone.now()
        stamp = _stamp(now)
        grids = list({v[0] for v in kept} - loaded_grids)
        for pk, grid_id, name in sorted(_select_where(
                f"SELECT id, grid_id, name FROM {qn(building_table)} "  # noqa: S608
                f"WHERE {{where}}", "grid_id", grids), reverse=True):
            buildings[(grid_id, name)] = pk  # the oldest of equally named buildings
        loaded_grids.update(grids)
        missing = list({(v[0], v[1]) for v in kept} - set(buildings))
        if missing:
            insert_rows(building_table, BUILDING_INSERT, [
                (grid_id, name, BuildingKind.RESIDENTIAL.value, secrets.token_urlsafe(9),
                 stamp, stamp) for grid_id, name in missing])
            names = {name for _grid, name in missing}
            for pk, grid_id, name in sorted(_select_where(
                    f"SELECT id, grid_id, name FROM {qn(building_table)} "  # noqa: S608
                    f"WHERE {{where}}", "grid_id", list({g for g, _n in missing})),
                    reverse=True):
                if name in names and (grid_id, name) not in buildings:
                    buildings[(grid_id, name)] = pk
            totals["buildings_created"] += len(missing)
        # (grid, building name, unit, room, usage, area, owner) → with the building's id
        kept = [(buildings[(v[0], v[1])], *v[2:]) for v in kept]
        existing = {} if empty else {
            (b, u, r): (pk, usage, area, owner) for pk, b, u, r, usage, area, owner
            in _select_where(
                f"SELECT id, building_id, unit_no, room_no, usage, "  # noqa: S608
                f"floor_area_m2, owner_id FROM {qn(house_table)} WHERE {{where}}",
                "building_id", list({v[0] for v in kept}))}
        new_rows, updates = [], []
        for values in kept:
            building_id, unit, room, usage, area, owner = values
            old = existing.get((building_id, unit, room)) if existing else None
            if old is None:
                new_rows.append(values)
            elif old[1:] == (usage, area, owner):
                totals["unchanged"] += 1
            else:
                updates.append((usage, area, owner, stamp, old[0]))
        if copy:
            at = now.isoformat()
            copy_lines(house_table, HOUSE_INSERT, [
                f"{building_id}\t{copy_escape(unit)}\t{copy_escape(room)}\t{usage}\t"
                f"{NULL if area is None else area}\t{NULL if owner is None else owner}\t"
                f"{at}\t{at}\n"
                for building_id, unit, room, usage, area, owner in new_rows])
        else:
            insert_rows(house_table, HOUSE_INSERT,
                        [(*values, stamp, stamp) for values in new_rows])
        if updates:
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {qn(house_table)} SET usage = %s, "  # noqa: S608
                    f"floor_area_m2 = %s, owner_id = %s, updated_at = %s WHERE id = %s",
                    updates)
        totals["created"] += len(new_rows)
        totals["updated"] += len(updates)
        if progress:
            progress(totals["rows"])

    def second():
        if empty and connection.vendor in ("postgresql", "sqlite"):  # a large import into
            rebuild.extend(_drop_secondary_indexes(  # an empty table; its keys to the
                [house_table], (building_table, Person._meta.db_table)))  # buildings, owners

    with _big_cache(), transaction.atomic(), _checks_at_once([house_table, building_table]):
        empty = not House.objects.exists()  # then every house of the file is new
        _pipeline(blocks, _check_houses, consume, ctx, _default_workers(workers), second)
        if problems and not skip_bad_rows:
            problems.sort(key=lambda p: (p.row, p.column))
            raise PeopleImportError(problems, source)
        _create_indexes(rebuild)
    problems.sort(key=lambda p: (p.row, p.column))
    read = totals.pop("rows")
    return {**totals, "skipped": len({p.row for p in problems}), "problems": problems,
            "rows": read}


def analyze() -> None:
    """Fresh planner statistics after a large import."""
    from wangge.places.models import Building, House

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
        else:
            for model in (Person, PersonChange, Building, House):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# --- synthetic data for the demo county (wangge demo-data, wangge bench import) ---------------
SURNAMES = list("陈林黄王李吴张刘洪蔡郑杨许苏傅戴叶潘庄柯施萧卓颜周徐孙朱高何郭罗梁谢")
GIVEN = list("志明建华国强丽娟秀英海燕文杰俊峰雅婷晓东伟鹏婉清思远佳怡子涵宇航梓萱金水春花玉兰"
             "荣辉永福宝珠淑芬振兴添财雪梅美玲家豪诗琪")
ROADS = ["新华路", "成功街", "溪美大道", "柳城路", "金淘街", "霞美路", "官桥路", "水头大道",
         "石井路", "康美路", "丰州路", "洪濑街", "梅山路", "英都路", "仑苍路", "东田路"]
FIRST_BIRTH = dt.date(1930, 1, 1)
LAST_BIRTH = dt.date(2024, 12, 31)


def synthetic_id_numbers(count: int, rng, region: int = 350583) -> list[str]:
    """``count`` different valid ID numbers of the region, born 1930–2024 (vectorised)."""
    import numpy as np

    days = (LAST_BIRTH - FIRST_BIRTH).days + 1
    space = days * 1000
    if count > space // 2:
        raise ValueError(f"at most {space // 2:,} synthetic ID numbers")
    keys = np.unique(rng.integers(0, space, int(count * 1.05) + 100))
    while len(keys) < count:
        keys = np.unique(np.concatenate([keys, rng.integers(0, space, count)]))
    keys = rng.permutation(keys)[:count]
    born = np.datetime64(FIRST_BIRTH.isoformat()) + (keys // 1000).astype("timedelta64[D]")
    years = born.astype("datetime64[Y]").astype(np.int64) + 1970
    months = born.astype("datetime64[M]").astype(np.int64) % 12 + 1
    mdays = (born - born.astype("datetime64[M]")).astype(np.int64) + 1
    first17 = (region * 10**11 + (years * 10000 + months * 100 + mdays) * 1000
               + keys % 1000).astype(np.int64)
    total = np.zeros(count, dtype=np.int64)
    for i in range(17):
        total += (first17 // 10 ** (16 - i)) % 10 * pow(2, 17 - i, 11)
    checks = np.array(list("10X98765432"))[total % 11]
    return [f"{a}{c}" for a, c in zip(first17.tolist(), checks.tolist(), strict=True)]


def _grids():
    from wangge.territory.choices import Level

    grids = list(Area.objects.filter(level=Level.GRID).select_related("parent__parent")
                 .order_by("code"))
    if not grids:
        raise RuntimeError("no grids: load the demo county first (wangge load-demo)")
    return grids


# synthetic care and special groups: (tag, group, share, of whom: born in or before / after)
DEMO_TAGS = [
    ("独居老人", "care", 0.12, ("before", 1956)), ("空巢老人", "care", 0.15, ("before", 1961)),
    ("留守儿童", "care", 0.06, ("after", 2010)), ("残疾人", "care", 0.02, None),
    ("低保户", "care", 0.03, None), ("社区矫正", "special", 0.0015, ("before", 2008)),
    ("刑满释放", "special", 0.002, ("before", 2008)), ("严重精神障碍", "special", 0.002, None),
    ("社区戒毒", "special", 0.001, ("before", 2008))]


def ensure_demo_tags() -> None:
    """The care groups and special groups the synthetic residents carry."""
    for name, group, _share, _who in DEMO_TAGS:
        Tag.objects.get_or_create(name=name, defaults={"group": group})


def _synthetic_tags(numbers: list[str], rng) -> list[str]:
    """A tag cell per resident: plausible shares of each group among those of the right age."""
    import numpy as np

    years = np.array([int(n[6:10]) for n in numbers])
    cells: list[list[str]] = [[] for _ in numbers]
    for name, _group, share, who in DEMO_TAGS:
        eligible = np.ones(len(numbers), dtype=bool)
        if who is not None:
            eligible = years <= who[1] if who[0] == "before" else years > who[1]
        for index in np.flatnonzero(eligible & (rng.random(len(numbers)) < share)).tolist():
            cells[index].append(name)
    return ["、".join(cell) for cell in cells]


def write_synthetic(people_out, houses_out, people: int, houses: int,
                    seed: int = 350583, with_tags: bool = False) -> dict:
    """Writes ``people`` residents and ``houses`` houses of the demo county's grids as CSV
    (the columns of import_people and import_houses) to the two text streams; ``with_tags``
    gives some of them care or special-group tags (from DEMO_TAGS, which must exist)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    grids = _grids()
    places = [f"{g.parent.parent.name if g.parent and g.parent.parent else ''}"
              f"{g.parent.name if g.parent else ''}" for g in grids]
    numbers = synthetic_id_numbers(people, rng)
    # their own random stream: the rest of the data is the same with or without tags
    tags = _synthetic_tags(numbers, np.random.default_rng(seed + 1)) if with_tags else None
    block = 100_000
    people_out.write(",".join(COLUMNS) + "\n")
    kinds = np.array(["registered", "floating", "foreign"])
    for start in range(0, people, block):
        n = min(block, people - start)
        surname = rng.choice(SURNAMES, n)
        given1 = rng.choice(GIVEN, n)
        given2 = np.where(rng.random(n) < 0.7, rng.choice(GIVEN, n), "")
        kind = kinds[rng.choice(3, n, p=[0.8, 0.18, 0.02])]
        phones = np.where(rng.random(n) < 0.85, np.char.add(
            np.char.add("1", rng.integers(3, 10, n).astype(str)),
            np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9)), "")
        grid = rng.integers(0, len(grids), n)
        road = rng.integers(0, len(ROADS), n)
        door = rng.integers(1, 300, n)
        lines = [
            f"{s}{g1}{g2},{numbers[start + i]},{k},{p},{grids[gi].code},"
            f"{places[gi]}{ROADS[r]}{d}号,{tags[start + i] if tags else ''}\n"
            for i, (s, g1, g2, k, p, gi, r, d) in enumerate(zip(
                surname.tolist(), given1.tolist(), given2.tolist(), kind.tolist(),
                phones.tolist(), grid.tolist(), road.tolist(), door.tolist(), strict=True))]
        people_out.write("".join(lines))
    houses_out.write(",".join(HOUSE_COLUMNS) + "\n")
    per_building = 20
    usages = np.array(["owner", "rented", "vacant", "business"])
    building_grid = rng.integers(0, len(grids), houses // per_building + 1)
    per_grid: dict[int, int] = {}
    building_names = []
    for g in building_grid.tolist():
        per_grid[g] = per_grid.get(g, 0) + 1
        building_names.append(f"{ROADS[g % len(ROADS)]}{per_grid[g]}号楼")
    for start in range(0, houses, block):
        n = min(block, houses - start)
        usage = usages[rng.choice(4, n, p=[0.7, 0.18, 0.08, 0.04])]
        area = np.round(rng.uniform(40, 180, n), 1)
        owner = rng.integers(0, max(people, 1), n)
        has_owner = rng.random(n) < (0.8 if people else 0)
        lines = []
        for i in range(n):
            h = start + i
            b, j = divmod(h, per_building)
            lines.append(
                f"{grids[int(building_grid[b])].code},{building_names[b]},{j // 10 + 1},"
                f"{(j % 10) // 2 + 1}0{j % 2 + 1},{usage[i]},{area[i]},"
                f"{numbers[int(owner[i])] if has_owner[i] else ''}\n")
        houses_out.write("".join(lines))
    return {"people": people, "houses": houses, "grids": len(grids)}
