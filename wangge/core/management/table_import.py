"""The shared shape of the `wangge import-…` commands for tables of base data: the file, the
acting user, all or nothing or --skip-bad-rows, and the row-level error report."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from wangge.core.tabular import TableImportError, error_report


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
