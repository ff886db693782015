import sys

from django.core.management.base import BaseCommand, CommandError

from wangge.cases.taxonomy import export_bytes


class Command(BaseCommand):
    help = "Export the case categories and handling limits as CSV (default) or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", help="file to write; .xlsx gives Excel")
        parser.add_argument("--format", choices=["csv", "xlsx"])

    def handle(self, *args, output=None, format=None, **options):
        fmt = format or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        data = export_bytes(fmt)
        if output:
            with open(output, "wb") as handle:
                handle.write(data)
        elif fmt == "xlsx":
            raise CommandError("give -o FILE.xlsx to export Excel")
        else:
            sys.stdout.write(data.decode("utf-8"))
