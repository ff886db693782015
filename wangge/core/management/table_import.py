"""The shared shape of the `wangge import-…` commands for tables of base data: the file, the
acting user, all or nothing or --skip-bad-rows, and the row-level error report."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wangge.core.progress import Progress, count_lines
from wangge.core.tabular import RowProblem, TableImportError, error_report


# --- the kinds of `wangge import KIND FILE`: each reads the file and runs its importer with a
# progress callback, returning the importer's counts and problems -------------------------------
def _count(rows, progress) -> list:
    progress.total = sum(1 for r in rows if r is not None)
    return rows


def _import_people(path: Path, *, actor, skip_bad_rows, progress, bulk=False) -> dict:
    from wangge.people.importer import PeopleImportError, import_people, read_rows

    options = {"actor": actor, "skip_bad_rows": skip_bad_rows, "source": str(path),
               "progress": progress}
    if not bulk:
        return import_people(_count(read_rows(path.read_bytes(), path.name), progress),
                             **options)
    from wangge.people import bulk as fast

    if path.name.lower().endswith(".xlsx"):
        return fast.import_people(_count(read_rows(path.read_bytes(), path.name), progress),
                                  **options)
    progress.total = count_lines(path)
    with open(path, encoding="utf-8-sig", newline="") as stream:
        try:
            return fast.import_people_csv(stream, **options)
        except UnicodeDecodeError as exc:
            raise PeopleImportError([RowProblem(0, "", f"not UTF-8 text: {exc}")],
                                    str(path)) from None


def _places(kind: str):
    def run(path: Path, *, actor, skip_bad_rows, progress, bulk=False) -> dict:
        from wangge.places.importer import import_places, read_rows

        return import_places(kind, _count(read_rows(kind, path.read_bytes(), path.name),
                                          progress),
                             actor=actor, skip_bad_rows=skip_bad_rows, source=path.name,
                             progress=progress)

    return run


def _import_components(path: Path, *, actor, skip_bad_rows, progress, bulk=False) -> dict:
    from wangge.things.importer import import_components, read_component_rows

    return import_components(_count(read_component_rows(path.read_bytes(), path.name), progress),
                             actor=actor, skip_bad_rows=skip_bad_rows, source=str(path),
                             progress=progress)


def _import_organisations(path: Path, *, actor, skip_bad_rows, progress, bulk=False) -> dict:
    from wangge.organisations.importer import import_organisations, read_organisation_rows

    return import_organisations(
        _count(read_organisation_rows(path.read_bytes(), path.name), progress), actor=actor,
        skip_bad_rows=skip_bad_rows, source=str(path), progress=progress)


IMPORT_KINDS = {
    "people": _import_people,
    "addresses": _places("addresses"),
    "buildings": _places("buildings"),
    "houses": _places("houses"),
    "components": _import_components,
    "organisations": _import_organisations,
}
BULK_KINDS = {"people"}


class TableImportCommand(BaseCommand):
    user_help = "import as this user, within their jurisdiction"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--skip-bad-rows", action="store_true",
                            help="import the good rows and report the bad ones")
        parser.add_argument("--errors-out", metavar="FILE",
                            help="write the problems as CSV (row, column, reason) to FILE")
        parser.add_argument("--user", metavar="USERNAME", help=self.user_help)

    def table_path(self, file: str) -> Path:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        return path

    def acting_user(self, username: str | None):
        if not username:
            return None
        actor = get_user_model().objects.filter(username=username).first()
        if actor is None:
            raise CommandError(f"no user {username!r}")
        return actor

    def run_import(self, do_import, errors_out: str | None) -> dict:
        """Run ``do_import()``; a refused file becomes a CommandError (its problems written to
        ``errors_out`` first), an accepted one writes its skipped rows' problems there."""
        try:
            result = do_import()
        except TableImportError as exc:
            if errors_out:
                Path(errors_out).write_text(error_report(exc.problems), encoding="utf-8")
                self.stderr.write(f"problems written to {errors_out}")
            raise CommandError(str(exc)) from None
        if errors_out:
            Path(errors_out).write_text(error_report(result["problems"]), encoding="utf-8")
        return result

    def show_problems(self, problems, errors_out: str | None) -> None:
        if problems and not errors_out:
            for problem in problems[:50]:
                self.stderr.write(f"  - {problem}")

    def import_kind(self, kind: str, *, file: str, skip_bad_rows: bool = False,
                    errors_out: str | None = None, user: str | None = None,
                    bulk: bool = False) -> dict:
        """``wangge import KIND FILE``: the file read by the kind's importer with a progress bar
        (a plain line now and then when stdout is not a terminal), the counts, the problems
        (to ``errors_out`` as CSV: row, column, reason)."""
        if bulk and kind not in BULK_KINDS:
            raise CommandError(f"--bulk is for {', '.join(sorted(BULK_KINDS))} only")
        path = self.table_path(file)
        actor = self.acting_user(user)
        progress = Progress(self.stdout)
        try:
            result = self.run_import(lambda: IMPORT_KINDS[kind](
                path, actor=actor, skip_bad_rows=skip_bad_rows, progress=progress, bulk=bulk),
                errors_out)
        except BaseException:
            progress.abort()
            raise
        progress.finish(result.get("rows", progress.total))
        review = f"{result['review']} addresses to review, " if "review" in result else ""
        self.stdout.write(self.style.SUCCESS(
            f"{path} ({kind}): {result['created']} new, {result['updated']} updated, "
            f"{result.get('unchanged', 0)} unchanged, {review}"
            f"{result['skipped']} bad rows skipped"))
        self.show_problems(result["problems"], errors_out)
        return result
