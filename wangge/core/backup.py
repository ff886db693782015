"""Backups and restores of a Wangge installation: the database, the media folder and a manifest.

A backup directory holds ``database.sqlite3`` (SQLite's online backup API: a consistent copy
while the site runs) or ``database.dump`` (``pg_dump -Fc``), ``media/`` and ``manifest.json``:
when, which Wangge, which database engine, the fingerprints of the keys the data was written
with (wangge/core/keys.py — never the keys), and every file's size and SHA-256. A restore checks
all of that first: the files are whole, the engine is the configured one, the configured keys
are the ones the data needs, and the target holds no data (unless forced).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connections

import wangge
from wangge.core import keys

FORMAT = "wangge-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.dump"
MEDIA = "media"
CHUNK = 1024 * 1024


class BackupError(Exception):
    pass


def engine_of(connection) -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of a {connection.vendor} database are not supported")
    return connection.vendor


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _pg_command(connection, program: str) -> tuple[list[str], dict]:
    """The connection arguments of a PostgreSQL client program; the password goes through
    the environment (PGPASSWORD), never the command line."""
    config = connection.settings_dict
    found = shutil.which(program)
    if found is None:
        raise BackupError(f"{program} is not installed (Debian: apt-get install "
                          "postgresql-client of the server's version)")
    args = [found]
    if config.get("HOST"):
        args += ["-h", str(config["HOST"])]
    if config.get("PORT"):
        args += ["-p", str(config["PORT"])]
    if config.get("USER"):
        args += ["-U", str(config["USER"])]
    env = {**os.environ}
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    options = config.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"),
                             ("sslcert", "PGSSLCERT"), ("sslkey", "PGSSLKEY")):
        if options.get(option):
            env[variable] = str(options[option])
    return args, env


def _run(args: list[str], env: dict, what: str) -> None:
    # the program is pg_dump or pg_restore found on PATH; the arguments come from the settings
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


# --- backup -----------------------------------------------------------------------------------


def backup(target: Path, *, alias: str = "default") -> dict:
    """Writes a backup into ``target`` (new or empty); returns the manifest."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty directory: give a new one")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)  # the data is encrypted, names and addresses are not
    connection = connections[alias]
    engine = engine_of(connection)
    with keys.suspended():
        fingerprints = keys.stored(connection) if keys.has_table(connection) else {}
        fingerprints = fingerprints or keys.configured()
        if engine == "sqlite":
            database = target / SQLITE_FILE
            connection.ensure_connection()
            copy = sqlite3.connect(database)
            try:
                connection.connection.backup(copy)
            finally:
                copy.close()
        else:
            database = target / PG_FILE
            args, env = _pg_command(connection, "pg_dump")
            _run([*args, "-Fc", "-f", str(database), str(connection.settings_dict["NAME"])],
                 env, "pg_dump")
    database.chmod(0o600)
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir():
        shutil.copytree(media_root, target / MEDIA, symlinks=False)
    else:
        (target / MEDIA).mkdir()
    files = [database, *sorted(p for p in (target / MEDIA).rglob("*") if p.is_file())]
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "wangge_version": wangge.__version__,
        "database": {"engine": engine, "file": database.name},
        "keys": fingerprints,
        "files": [{"path": path.relative_to(target).as_posix(), "bytes": path.stat().st_size,
                   "sha256": sha256_of(path)} for path in files],
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    return manifest


# --- restore ----------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path} is missing: not a Wangge backup directory")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not valid JSON ({exc})") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found != FORMAT:
        raise BackupError(f"{path}: format {found!r} is not {FORMAT!r}")
    for field in ("database", "keys", "files"):
        if field not in manifest:
            raise BackupError(f"{path}: no {field!r}")
    return manifest


def check_files(source: Path, manifest: dict) -> list[Path]:
    """Every file of the manifest is there, of its size and checksum, and inside the backup."""
    root = Path(source).resolve()
    paths = []
    for entry in manifest["files"]:
        relative = str(entry.get("path", ""))
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or relative.startswith("/") or ".." in relative:
            raise BackupError(f"the manifest names a file outside the backup: {relative!r}")
        if not path.is_file():
            raise BackupError(f"{relative} is missing from the backup")
        if path.stat().st_size != entry.get("bytes"):
            raise BackupError(f"{relative}: {path.stat().st_size} bytes, the manifest says "
                              f"{entry.get('bytes')} — the backup is damaged")
        if sha256_of(path) != entry.get("sha256"):
            raise BackupError(f"{relative}: the SHA-256 differs from the manifest's — the "
                              "backup is damaged or was altered")
        paths.append(path)
    if manifest["database"].get("file") not in [p.name for p in paths if p.parent == root]:
        raise BackupError("the manifest lists no database file")
    return paths


def holdings(connection) -> dict[str, int]:
    """What the database already holds ({table: rows} of the main tables, only those with
    rows); empty for a new database."""
    from django.apps import apps

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        found = {}
        for label in ("accounts.User", "territory.Area", "people.Person", "cases.Case"):
            table = apps.get_model(label)._meta.db_table
            if table in tables:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
                rows = cursor.fetchone()[0]
                if rows:
                    found[label] = rows
        return found


def restore(source: Path, *, force: bool = False, alias: str = "default") -> dict:
    """Restores a backup over the configured database and media folder; returns the manifest.
    Refuses, changing nothing, on a damaged backup, another engine, other keys, or a target
    that holds data (unless ``force``)."""
    source = Path(source)
    manifest = read_manifest(source)
    check_files(source, manifest)
    connection = connections[alias]
    engine = engine_of(connection)
    if manifest["database"].get("engine") != engine:
        raise BackupError(f"the backup is of a {manifest['database'].get('engine')} database; "
                          f"the configured one (DATABASE_URL) is {engine}")
    problems = keys.differences(manifest["keys"], keys.configured())
    if problems:
        raise BackupError("the configured keys cannot read this backup: " + "; ".join(problems))
    media_root = Path(settings.MEDIA_ROOT)
    with keys.suspended():
        if not force:
            held = holdings(connection)
            if held:
                counts = ", ".join(f"{n:,} {label}" for label, n in held.items())
                raise BackupError(f"the database already holds data ({counts}): restore into "
                                  "an empty database, or give --force to overwrite it")
            if media_root.is_dir() and any(p.is_file() for p in media_root.rglob("*")):
                raise BackupError(f"the media folder {media_root} is not empty: give --force "
                                  "to replace it")
        database = source / manifest["database"]["file"]
        if engine == "sqlite":
            connection.ensure_connection()
            original = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            try:
                original.backup(connection.connection)
            finally:
                original.close()
        else:
            connection.close()
            args, env = _pg_command(connection, "pg_restore")
            _run([*args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  "--exit-on-error", "-d", str(connection.settings_dict["NAME"]),
                  str(database)], env, "pg_restore")
        connection.close()
    _restore_media(source / MEDIA, media_root, manifest)
    # the restored database is checked like any other: its fingerprints against the keys
    keys.forget_verified()
    keys.verify(connection, store=False)
    return manifest


def _restore_media(origin: Path, media_root: Path, manifest: dict) -> None:
    media_root.mkdir(parents=True, exist_ok=True)
    for child in media_root.iterdir():  # the folder itself may be a mount point: keep it
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    prefix = MEDIA + "/"
    for entry in manifest["files"]:
        relative = entry["path"]
        if not relative.startswith(prefix):
            continue
        destination = media_root / relative[len(prefix):]
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin / relative[len(prefix):], destination)
