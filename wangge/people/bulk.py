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
import collections
import contextlib
import csv
import datetime as dt
import hmac
import io
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from wangge.core import crypto
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
from wangge.people.models import ID_ASSOCIATED, PHONE_ASSOCIATED, Kind, Person, PersonChange, Tag
from wangge.territory.models import Area

CHUNK = 20_000
LOOKUP_BATCH = 900  # parameters per IN (…): below SQLite's oldest limit
ROWS_PER_STATEMENT = 400  # multi-row INSERT on SQLite

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
def iter_csv(stream: io.TextIOBase | Iterable[str], columns: list[str] = COLUMNS,
             required: list[str] = REQUIRED, source: str = "") -> Iterator[dict | None]:
    """Rows of a CSV text stream as dicts (the header is row 1, so the first yielded row is row
    2); blank rows are None. A missing required column raises PeopleImportError."""
    reader = csv.reader(stream)
    try:
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader)]
    except StopIteration:
        raise PeopleImportError([RowProblem(1, "", "the file is empty")], source) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise PeopleImportError([RowProblem(1, c, "missing column") for c in missing], source)
    index = [(name, header.index(name)) for name in columns if name in header]
    absent = [name for name in columns if name not in header]
    for row in reader:
        if not any(cell.strip() for cell in row):
            yield None
            continue
        width = len(row)
        values = {name: (row[i].strip() if i < width else "") for name, i in index}
        for name in absent:
            values[name] = ""
        yield values


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

    def seal(self, text: str, associated: bytes) -> str:
        if not text:
            return ""
        nonce = os.urandom(12)
        sealed = self.aes.encrypt(nonce, text.encode(), associated)
        return f"v1:{self.key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def hash(self, value: str) -> str:
        """crypto.lookup_hash for a value already normalized (stripped, upper case)."""
        return hmac.digest(self.lookup_key, value.encode(), "sha256").hex()


# --- writing ------------------------------------------------------------------------------------
def _stamp(moment: dt.datetime):
    """A datetime as this backend stores it (SQLite: naive UTC text, as Django writes it)."""
    if connection.vendor == "sqlite":
        return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return moment


def _json(value):
    return None if value is None else json.dumps(value)


def insert_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Multi-row INSERTs, or COPY on PostgreSQL."""
    if not rows:
        return
    quoted = connection.ops.quote_name
    names = ", ".join(quoted(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quoted(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        if connection.vendor != "sqlite":
            marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                part = rows[start:start + ROWS_PER_STATEMENT]
                cursor.execute(f"INSERT INTO {quoted(table)} ({names}) "  # noqa: S608
                               f"VALUES {', '.join([marks] * len(part))}",
                               [value for row in part for value in row])
            return
        # SQLite: the driver's own cursor, with ? marks (Django's wrapper rewrites %s marks
        # with a regular expression per statement); a full statement of rows at a time
        raw = cursor.cursor
        marks = "(" + ", ".join(["?"] * len(columns)) + ")"
        full = len(rows) - len(rows) % ROWS_PER_STATEMENT
        sql = (f"INSERT INTO {quoted(table)} ({names}) "  # noqa: S608
               f"VALUES {', '.join([marks] * ROWS_PER_STATEMENT)}")
        for start in range(0, full, ROWS_PER_STATEMENT):
            sqlite3_execute(raw, sql, [v for row in rows[start:start + ROWS_PER_STATEMENT]
                                       for v in row])
        if full < len(rows):
            part = rows[full:]
            sqlite3_execute(raw, f"INSERT INTO {quoted(table)} ({names}) "  # noqa: S608
                            f"VALUES {', '.join([marks] * len(part))}",
                            [v for row in part for v in row])


def sqlite3_execute(raw_cursor, sql: str, params: list) -> None:
    import sqlite3

    sqlite3.Cursor.execute(raw_cursor, sql, params)


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


def _select_in(sql: str, keys: list, extra: tuple = ()) -> list[tuple]:
    """Runs ``sql`` (with one ``{marks}`` for the IN list) over ``keys`` in batches."""
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(keys), LOOKUP_BATCH):
            part = keys[start:start + LOOKUP_BATCH]
            cursor.execute(sql.format(marks=", ".join(["%s"] * len(part))), [*extra, *part])
            found.extend(cursor.fetchall())
    return found


# --- people -------------------------------------------------------------------------------------
PERSON_INSERT = ["name", "kind", "id_number_enc", "id_hash", "birth_date", "sex", "phone_enc",
                 "phone_hash", "area_id", "address", "created_at", "updated_at"]
CHANGE_INSERT = ["person_id", "actor_id", "at", "action", "source", "before", "after"]


class _PeopleContext:
    def __init__(self, actor):
        self.actor = actor
        self.sealer = _Sealer()
        self.areas = {a.code: a for a in Area.objects.all()}
        self.area_codes = {a.pk: a.code for a in self.areas.values()}
        self.tags = {t.name: t for t in Tag.objects.all()}
        self.tags_by_pk = {t.pk: t for t in self.tags.values()}
        self.sees_sensitive = services.can_view_sensitive_tags(actor)
        self.seen: dict[int, int] = {}  # ID number (as an int, X → 10) → its first row
        self.id_number = _IdChecker()


def _number_key(number: str) -> int:
    return int(number[:17]) * 11 + (10 if number[17] == "X" else int(number[17]))


def _validate_person(ctx: _PeopleContext, number: int, row: dict,
                     problems: list[RowProblem], ids: list) -> dict | None:
    """The checks of importer.validate for one row, but for duplicates in the file (see
    _check_chunk); the resolved values or None. A valid ID number is added to ``ids``."""
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
        ids.append((number, id_number))
    phone = ""
    try:
        phone = _phone(row["phone"])
    except IdentifierError as exc:
        bad("phone", str(exc))
    area = ctx.areas.get(row["area_code"])
    if area is None:
        bad("area_code", f"no area has the code {row['area_code']!r}")
    elif area.level not in services.PERSON_LEVELS:
        bad("area_code", f"{area.code} is not a grid or a community")
    elif ctx.actor is not None and not ctx.actor.can_see_area(area):
        bad("area_code", f"{area.code} is outside your jurisdiction")
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


def _snapshot(values: dict, masked_phone: str, area_code: str, tags) -> dict:
    """services.snapshot, from values in memory."""
    return {"name": values["name"], "kind": values["kind"],
            "id_number": mask(values["id_number"]), "phone": masked_phone, "area": area_code,
            "address": values["address"],
            "tags": sorted(t.name for t in tags if not t.sensitive),
            "sensitive_tags": sorted(t.name for t in tags if t.sensitive)}


def _created_json(values: dict) -> str:
    """json.dumps(_snapshot(…)) of a new record, written out (the same text, faster)."""
    tags = values["tags"]
    dumps = json.dumps
    return (f'{{"name": {dumps(values["name"])}, "kind": {dumps(values["kind"])}, '
            f'"id_number": "{mask(values["id_number"])}", "phone": "{values["masked_phone"]}", '
            f'"area": {dumps(values["area_code"])}, "address": {dumps(values["address"])}, '
            f'"tags": {dumps(sorted(t.name for t in tags if not t.sensitive))}, '
            f'"sensitive_tags": {dumps(sorted(t.name for t in tags if t.sensitive))}}}')


def _prepare(ctx: _PeopleContext, good: list[dict]) -> None:
    """What a chunk's rows need that does not depend on the database: hashes, ciphertexts,
    the snapshot of a new record (run in the reading thread)."""
    sealer = ctx.sealer
    id_associated, phone_associated = ID_ASSOCIATED.encode(), PHONE_ASSOCIATED.encode()
    for values in good:
        number, phone = values["id_number"], values["phone"]
        values["id_hash"] = sealer.hash(number)
        values["id_enc"] = sealer.seal(number, id_associated)
        values["phone_hash"] = sealer.hash(phone) if phone else ""
        values["phone_enc"] = sealer.seal(phone, phone_associated)
        values["masked_phone"] = mask_phone(phone)
        values["created"] = _created_json(values)


def _write_people(ctx: _PeopleContext, good: list[dict], problems: list[RowProblem],
                  source: str = "import") -> dict:
    """Inserts the new people and updates the changed ones of a validated chunk."""
    person_table = Person._meta.db_table
    through = Person.tags.through._meta.db_table
    qn = connection.ops.quote_name
    existing = {row[1]: row for row in _select_in(
        f"SELECT id, id_hash, name, kind, phone_hash, phone_enc, area_id, address "  # noqa: S608
        f"FROM {qn(person_table)} WHERE id_hash IN ({{marks}})",
        [v["id_hash"] for v in good])}
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
        for person_id, tag_id in _select_in(
                f"SELECT person_id, tag_id FROM {qn(through)} "  # noqa: S608
                f"WHERE person_id IN ({{marks}})", [row[0] for row in existing.values()]):
            old_tags.setdefault(person_id, []).append(ctx.tags_by_pk[tag_id])
    now = timezone.now()
    stamp = _stamp(now)
    actor_id = ctx.actor.pk if ctx.actor is not None else None
    new_rows, new_values, updates, changes, tag_adds, tag_drops = [], [], [], [], [], []
    unchanged = 0
    for values in good:
        old = existing.get(values["id_hash"])
        number = values["id_number"]
        if old is None:
            new_rows.append((
                values["name"], values["kind"], values["id_enc"], values["id_hash"],
                f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                "M" if int(number[16]) % 2 else "F", values["phone_enc"],
                values["phone_hash"], values["area_id"], values["address"], stamp, stamp))
            new_values.append(values)
            continue
        pk, _hash, name, kind, phone_hash, phone_enc, area_id, address = old
        if visible is not None and pk not in visible:
            problems.append(RowProblem(values["row"], "id_number", f"{mask(number)} is already "
                                       "registered in another jurisdiction"))
            continue
        tags_before = old_tags.get(pk, [])
        tags_after = values["tags"]
        if not ctx.sees_sensitive:
            tags_after = tags_after + [t for t in tags_before if t.sensitive]
        old_phone_masked = mask_phone(crypto.decrypt(phone_enc, associated=PHONE_ASSOCIATED)) \
            if phone_hash != values["phone_hash"] else values["masked_phone"]
        before = _snapshot({"name": name, "kind": kind, "id_number": number,
                            "address": address}, old_phone_masked, ctx.area_codes[area_id],
                           tags_before)
        after = _snapshot(values, values["masked_phone"], values["area_code"], tags_after)
        if before == after:
            unchanged += 1
            continue
        phone_enc_new = phone_enc if phone_hash == values["phone_hash"] else (
            values["phone_enc"])
        updates.append((values["name"], values["kind"], phone_enc_new, values["phone_hash"],
                        values["area_id"], values["address"], stamp, pk))
        old_ids = {t.pk for t in tags_before}
        new_ids = {t.pk for t in tags_after}
        tag_adds += [(pk, tag_id) for tag_id in new_ids - old_ids]
        tag_drops += [(pk, tag_id) for tag_id in old_ids - new_ids]
        changes.append((pk, actor_id, stamp, PersonChange.Action.UPDATED.value, source,
                        _json(before), _json(after)))
    new_rows.sort(key=lambda row: row[3])  # by hash: fewer index pages touched at a time
    insert_rows(person_table, PERSON_INSERT, new_rows)
    if new_values:
        ids = dict((h, pk) for pk, h in _select_in(
            f"SELECT id, id_hash FROM {qn(person_table)} "  # noqa: S608
            f"WHERE id_hash IN ({{marks}})", [v["id_hash"] for v in new_values]))
        for values in new_values:
            pk = ids[values["id_hash"]]
            tag_adds += [(pk, t.pk) for t in values["tags"]]
            changes.append((pk, actor_id, stamp, PersonChange.Action.CREATED.value, source,
                            None, values["created"]))
    if updates:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {qn(person_table)} SET name = %s, kind = %s, phone_enc = %s, "  # noqa: S608
                f"phone_hash = %s, area_id = %s, address = %s, updated_at = %s WHERE id = %s",
                updates)
    if tag_drops:
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {qn(through)} "  # noqa: S608
                               f"WHERE person_id = %s AND tag_id = %s", tag_drops)
    insert_rows(through, ["person_id", "tag_id"], tag_adds)
    insert_rows(PersonChange._meta.db_table, CHANGE_INSERT, changes)
    return {"created": len(new_rows), "updated": len(updates), "unchanged": unchanged}


_FORK_CONTEXT: _PeopleContext | None = None


def _check_chunk(block: list[tuple[int, dict]], ctx: _PeopleContext | None = None) -> tuple:
    """Checks and seals a chunk (in a worker process when there are several chunks)."""
    ctx = ctx or _FORK_CONTEXT
    problems: list[RowProblem] = []
    ids: list[tuple[int, str]] = []
    good = [v for n, row in block
            if (v := _validate_person(ctx, n, row, problems, ids)) is not None]
    _prepare(ctx, good)
    return good, problems, ids


def _consume(ctx: _PeopleContext, result, problems: list[RowProblem], skip_bad_rows: bool,
             source: str, totals: dict) -> None:
    """The duplicates in the file (over all chunks), then the writes of a checked chunk."""
    if not isinstance(result, tuple):
        result = result.get()
    good, chunk_problems, ids = result
    problems.extend(chunk_problems)
    twice = set()
    for number, id_number in ids:
        key = _number_key(id_number)
        first = ctx.seen.get(key)
        if first is not None:
            problems.append(RowProblem(number, "id_number",
                                       f"{mask(id_number)} appears twice (also row {first})"))
            twice.add(number)
        else:
            ctx.seen[key] = number
    if problems and not skip_bad_rows:
        return  # keep checking, to report every problem; nothing will be written
    if twice:
        good = [v for v in good if v["row"] not in twice]
    for name, n in _write_people(ctx, good, problems).items():
        totals[name] += n


def import_people(rows: Iterable[dict | None], *, actor=None, skip_bad_rows: bool = False,
                  source: str = "", progress: Progress = None, chunk: int = CHUNK,
                  workers: int | None = None) -> dict:
    """Imports people rows (dicts with the importer's COLUMNS; the first is row 2, None for a
    blank row), as importer.import_people does: all or nothing (PeopleImportError with every
    problem), or only the good rows with ``skip_bad_rows``. Returns the counts, the problems
    and the rows read."""
    ctx = _PeopleContext(actor)
    if workers is None:  # checking and sealing in other processes, writing in this one
        cpus = os.cpu_count() or 1
        workers = min(4, cpus) if cpus > 1 else 0
    problems: list[RowProblem] = []
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    read = 0
    pool = None
    pending: collections.deque = collections.deque()
    try:
        with _big_cache(), transaction.atomic():
            for block in _chunks(rows, chunk):
                if pool is None and read and workers > 0:  # a second chunk: worth a pool
                    global _FORK_CONTEXT  # inherited by the forked workers
                    _FORK_CONTEXT = ctx
                    pool = multiprocessing.get_context("fork").Pool(workers)
                read += len(block)
                if pool is None:
                    pending.append(_check_chunk(block, ctx))
                else:
                    pending.append(pool.apply_async(_check_chunk, (block,)))
                while len(pending) > (workers + 1 if pool is not None else 0):
                    _consume(ctx, pending.popleft(), problems, skip_bad_rows, source, totals)
                if progress:
                    progress(read)
            while pending:
                _consume(ctx, pending.popleft(), problems, skip_bad_rows, source, totals)
            if problems and not skip_bad_rows:  # rolls everything back
                problems.sort(key=lambda p: (p.row, p.column))
                raise PeopleImportError(problems, source)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    problems.sort(key=lambda p: (p.row, p.column))
    return {**totals, "skipped": len({p.row for p in problems}), "problems": problems,
            "rows": read}


def import_people_csv(stream, **options) -> dict:
    return import_people(iter_csv(stream, source=options.get("source", "")), **options)


# --- houses -------------------------------------------------------------------------------------
BUILDING_INSERT = ["grid_id", "name", "kind", "qr_token", "created_at", "updated_at"]
HOUSE_INSERT = ["building_id", "unit_no", "room_no", "usage", "floor_area_m2", "owner_id",
                "created_at", "updated_at"]


def import_houses(rows: Iterable[dict | None], *, actor=None, skip_bad_rows: bool = False,
                  source: str = "", progress: Progress = None, chunk: int = CHUNK) -> dict:
    """Houses (HOUSE_COLUMNS): matched by grid + building name + unit + room, so a re-import
    updates; buildings missing in a grid are created by name; the owner is found by ID number
    among the people already imported."""
    import secrets

    from wangge.places.models import Building, BuildingKind, House, Usage

    sealer = _Sealer()
    areas = {a.code: a for a in Area.objects.all()}
    qn = connection.ops.quote_name
    building_table, house_table = Building._meta.db_table, House._meta.db_table
    buildings: dict[tuple[int, str], int] = {}
    loaded_grids: set[int] = set()
    seen: dict[tuple, int] = {}
    problems: list[RowProblem] = []
    totals = {"created": 0, "updated": 0, "unchanged": 0, "buildings_created": 0}
    read = 0
    with _big_cache(), transaction.atomic():
        for block in _chunks(rows, chunk):
            read += len(block)
            good = []
            for number, row in block:
                before = len(problems)

                def bad(column, message, number=number):
                    problems.append(RowProblem(number, column, message))

                grid = areas.get(row["grid_code"])
                if grid is None:
                    bad("grid_code", f"no area has the code {row['grid_code']!r}")
                elif grid.level not in services.PERSON_LEVELS:
                    bad("grid_code", f"{grid.code} is not a grid or a community")
                elif actor is not None and not actor.can_see_area(grid):
                    bad("grid_code", f"{grid.code} is outside your jurisdiction")
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
                usage = USAGE_ALIASES.get(row["usage"], row["usage"] or Usage.OWNER)
                if usage not in Usage.values:
                    bad("usage", f"{row['usage']!r} is not one of {', '.join(Usage.values)}")
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
                        owner_hash = sealer.hash(normalize_id_number(row["owner_id_number"]))
                    except IdentifierError as exc:
                        bad("owner_id_number", str(exc))
                if grid is not None and name and room:
                    key = (grid.pk, name, unit, room)
                    if key in seen:
                        bad("room", f"{name} {unit}-{room} appears twice (also row "
                                    f"{seen[key]})")
                    else:
                        seen[key] = number
                if len(problems) == before:
                    good.append({"row": number, "grid": grid, "name": name, "unit": unit,
                                 "room": room, "usage": str(usage), "area": floor_area,
                                 "owner_hash": owner_hash})
            owners = dict(_select_in(
                f"SELECT id_hash, id FROM {qn(Person._meta.db_table)} "  # noqa: S608
                f"WHERE id_hash IN ({{marks}})",
                list({v["owner_hash"] for v in good if v["owner_hash"]})))
            kept = []
            for values in good:
                if values["owner_hash"] and values["owner_hash"] not in owners:
                    problems.append(RowProblem(values["row"], "owner_id_number",
                                               "no person has this ID number"))
                else:
                    values["owner"] = owners.get(values["owner_hash"])
                    kept.append(values)
            if problems and not skip_bad_rows:
                continue
            now = timezone.now()
            stamp = _stamp(now)
            grids = list({v["grid"].pk for v in kept} - loaded_grids)
            for pk, grid_id, name in sorted(_select_in(
                    f"SELECT id, grid_id, name FROM {qn(building_table)} "  # noqa: S608
                    f"WHERE grid_id IN ({{marks}})", grids), reverse=True):
                buildings[(grid_id, name)] = pk  # the oldest of equally named buildings
            loaded_grids.update(grids)
            missing = list({(v["grid"].pk, v["name"]) for v in kept} - set(buildings))
            if missing:
                insert_rows(building_table, BUILDING_INSERT, [
                    (grid_id, name, BuildingKind.RESIDENTIAL.value,
                     secrets.token_urlsafe(9), stamp, stamp) for grid_id, name in missing])
                names = {name for _grid, name in missing}
                for pk, grid_id, name in sorted(_select_in(
                        f"SELECT id, grid_id, name FROM {qn(building_table)} "  # noqa: S608
                        f"WHERE grid_id IN ({{marks}})", list({g for g, _n in missing})),
                        reverse=True):
                    if name in names and (grid_id, name) not in buildings:
                        buildings[(grid_id, name)] = pk
                totals["buildings_created"] += len(missing)
            existing = {(b, u, r): (pk, usage, area, owner) for pk, b, u, r, usage, area, owner
                        in _select_in(
                            f"SELECT id, building_id, unit_no, room_no, usage, "  # noqa: S608
                            f"floor_area_m2, owner_id FROM {qn(house_table)} "
                            f"WHERE building_id IN ({{marks}})",
                            list({buildings[(v['grid'].pk, v['name'])] for v in kept}))}
            new_rows, updates = [], []
            for values in kept:
                building_id = buildings[(values["grid"].pk, values["name"])]
                old = existing.get((building_id, values["unit"], values["room"]))
                if old is None:
                    new_rows.append((building_id, values["unit"], values["room"],
                                     values["usage"], values["area"], values["owner"], stamp,
                                     stamp))
                elif old[1:] == (values["usage"], values["area"], values["owner"]):
                    totals["unchanged"] += 1
                else:
                    updates.append((values["usage"], values["area"], values["owner"], stamp,
                                    old[0]))
            insert_rows(house_table, HOUSE_INSERT, new_rows)
            if updates:
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {qn(house_table)} SET usage = %s, "  # noqa: S608
                        f"floor_area_m2 = %s, owner_id = %s, updated_at = %s WHERE id = %s",
                        updates)
            totals["created"] += len(new_rows)
            totals["updated"] += len(updates)
            if progress:
                progress(read)
        if problems and not skip_bad_rows:
            problems.sort(key=lambda p: (p.row, p.column))
            raise PeopleImportError(problems, source)
    problems.sort(key=lambda p: (p.row, p.column))
    return {**totals, "skipped": len({p.row for p in problems}), "problems": problems,
            "rows": read}


def import_houses_csv(stream, **options) -> dict:
    return import_houses(iter_csv(stream, HOUSE_COLUMNS, HOUSE_REQUIRED,
                                  options.get("source", "")), **options)


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


def write_synthetic(people_out, houses_out, people: int, houses: int,
                    seed: int = 350583) -> dict:
    """Writes ``people`` residents and ``houses`` houses of the demo county's grids as CSV
    (the columns of import_people and import_houses) to the two text streams."""
    import numpy as np

    rng = np.random.default_rng(seed)
    grids = _grids()
    places = [f"{g.parent.parent.name if g.parent and g.parent.parent else ''}"
              f"{g.parent.name if g.parent else ''}" for g in grids]
    numbers = synthetic_id_numbers(people, rng)
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
            f"{places[gi]}{ROADS[r]}{d}号,\n"
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
