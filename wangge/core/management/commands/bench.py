import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Benchmarks. Each prints its figures; the last line is JSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="which", required=True)
        locate = sub.add_parser("locate", help="point → grid lookups")
        locate.add_argument("--grids", type=int, default=5000)
        locate.add_argument("--points", type=int, default=1_000_000)
        locate.add_argument("--seed", type=int, default=1)
        cases = sub.add_parser("cases", help="1M cases: insert, list page, overdue sweep")
        cases.add_argument("--cases", type=int, default=1_000_000)
        cases.add_argument("--seed", type=int, default=1)
        alarms = sub.add_parser("alarms", help="a burst of device alarms from several threads")
        alarms.add_argument("--alarms", type=int, default=10_000)
        alarms.add_argument("--devices", type=int, default=100)
        alarms.add_argument("--types", type=int, default=1, help="alarm types per device")
        alarms.add_argument("--threads", type=int, default=4)
        alarms.add_argument("--seed", type=int, default=1)

        evaluate = sub.add_parser("evaluate", help="1M cases: a month's evaluation of every "
                                  "worker, dispatcher, department and area")
        evaluate.add_argument("--cases", type=int, default=1_000_000)
        evaluate.add_argument("--seed", type=int, default=1)

        imports = sub.add_parser("import", help="2M people and 400k houses from CSV; then "
                                 "look people up by ID number")
        imports.add_argument("--people", type=int, default=2_000_000)
        imports.add_argument("--houses", type=int, default=400_000)
        imports.add_argument("--lookups", type=int, default=200)
        imports.add_argument("--seed", type=int, default=1)
        imports.add_argument("--workers", type=int, default=None,
                             help="processes checking and sealing rows (default: CPUs - 1)")

    def handle(self, *args, which, **options):
        if which == "import":
            return self.bench_import(options)
        if which == "evaluate":
            return self.bench_evaluate(options["cases"], options["seed"])
        if which == "cases":
            return self.bench_cases(options["cases"], options["seed"])
        if which == "alarms":
            return self.bench_alarms(options)
        if which == "locate":
            from wangge.territory.bench import run

            figures = run(options["grids"], options["points"], options["seed"])
            self.stdout.write(
                f"located {figures['points']:,} points in {figures['grids']:,} grids: "
                f"{figures['points_per_second']:,} points/s vectorised, "
                f"{figures['single_point_us']} µs per single point")
            self.stdout.write(json.dumps(figures))

    def _fresh_sqlite_child(self, which: str, args: list[str]) -> bool:
        """Without DATABASE_URL, run this benchmark again in a child process on a fresh
        var/bench-<which>.sqlite3 and return True; with DATABASE_URL (or in the child), False:
        the caller runs it here."""
        import os
        import subprocess
        import sys

        from django.conf import settings

        if "DATABASE_URL" in os.environ or os.environ.get("WANGGE_BENCH_CHILD"):
            return False
        path = settings.VAR_DIR / f"bench-{which}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "WANGGE_BENCH_CHILD": "1"}
        command = [sys.executable, "-m", "wangge.cli", "bench", which, *args]
        result = subprocess.run(command, env=env, check=False)  # noqa: S603
        if result.returncode:
            raise SystemExit(result.returncode)
        return True

    def bench_cases(self, count: int, seed: int) -> None:
        """On SQLite without DATABASE_URL, runs in a fresh var/bench-cases.sqlite3 (a child
        process); with DATABASE_URL set, in that database, which must hold no cases."""

        from django.conf import settings
        from django.core.management import call_command

        if self._fresh_sqlite_child("cases", ["--cases", str(count), "--seed", str(seed)]):
            return
        from wangge.cases import bench
        from wangge.cases.models import Case

        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, cases=0, stdout=self.stderr)
        if Case.objects.exists():
            raise CommandError("the database already holds cases; bench an empty database")
        self.stderr.write(f"inserting {count:,} cases …")
        figures = bench.load(count, seed)
        self.stderr.write(f"  {figures['insert_per_second']:,} rows/s; measuring …")
        figures.update(bench.measure_list())
        figures.update(bench.measure_sweep())
        figures["database"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(
            f"{figures['cases']:,} cases: insert {figures['insert_per_second']:,}/s, list "
            f"page {figures['list_ms']} ms (max {figures['list_ms_max']}), sweep "
            f"{figures['sweep_ms']} ms for {figures['swept']:,} overdue steps")
        self.stdout.write(json.dumps(figures))

    def bench_alarms(self, options) -> None:
        """Like bench_cases: a fresh var/bench-alarms.sqlite3 unless DATABASE_URL is set (then
        that database, which must hold no cases)."""

        from django.conf import settings
        from django.core.management import call_command

        names = ("alarms", "devices", "types", "threads", "seed")
        args = [arg for name in names for arg in (f"--{name}", str(options[name]))]
        if self._fresh_sqlite_child("alarms", args):
            return
        from wangge.cases.models import Case
        from wangge.integrations import bench

        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, cases=0, stdout=self.stderr)
        if Case.objects.exists():
            raise CommandError("the database already holds cases; bench an empty database")
        self.stderr.write(f"{options['alarms']:,} alarms from {options['devices']} devices, "
                          f"{options['threads']} threads …")
        figures = bench.run(**{name: options[name] for name in names})
        figures["database"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(
            f"{figures['alarms']:,} alarms in {figures['seconds']} s: "
            f"{figures['alarms_per_second']:,} alarms/s; {figures['cases_opened']} cases opened, "
            f"{figures['alarms_stored']:,} alarms stored; one open case per device and type: "
            f"{figures['one_open_case_per_device_and_type']}")
        self.stdout.write(json.dumps(figures))
        if not (figures["one_open_case_per_device_and_type"] and figures["none_lost"]):
            raise CommandError("the checks failed")

    def bench_evaluate(self, count: int, seed: int) -> None:
        """Like bench_cases: a fresh var/bench-evaluate.sqlite3 unless DATABASE_URL is set
        (then that database, which must hold no cases)."""

        from django.conf import settings
        from django.core.management import call_command

        if self._fresh_sqlite_child("evaluate", ["--cases", str(count), "--seed", str(seed)]):
            return
        from wangge.cases import bench as case_bench
        from wangge.cases.models import Case
        from wangge.evaluation import bench

        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, cases=0, stdout=self.stderr)
        if Case.objects.exists():
            raise CommandError("the database already holds cases; bench an empty database")
        bench.prepare_table()
        self.stderr.write(f"inserting {count:,} cases …")
        figures = case_bench.load(count, seed)
        self.stderr.write("  filling step times, deadlines, events and patrols …")
        figures.update(bench.fill())
        self.stderr.write(f"  {figures['events']:,} events in {figures['fill_seconds']} s; "
                          "evaluating …")
        figures.update(bench.run())
        figures["database"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(
            f"{figures['month']}: {figures['results']:,} results ("
            f"{figures['cases_in_month']:,} cases in the month) in {figures['seconds']} s")
        self.stdout.write(json.dumps(figures))

    def bench_import(self, options) -> None:
        """Like bench_cases: a fresh var/bench-import.sqlite3 unless DATABASE_URL is set (then
        that database, which must hold no people). The CSV files are written to var/."""
        import random
        import statistics
        import time

        from django.conf import settings
        from django.core.management import call_command

        names = ("people", "houses", "lookups", "seed", "workers")
        if self._fresh_sqlite_child("import", [arg for name in names if options[name] is not None
                                     for arg in (f"--{name}", str(options[name]))]):
            return
        from wangge.people import bulk, services
        from wangge.people.models import Person

        call_command("migrate", verbosity=0)
        call_command("load_demo", verbosity=0, cases=0, stdout=self.stderr)
        if Person.objects.exists():
            raise CommandError("the database already holds people; bench an empty database")
        people_csv = settings.VAR_DIR / "bench-import-people.csv"
        houses_csv = settings.VAR_DIR / "bench-import-houses.csv"
        self.stderr.write(f"writing {options['people']:,} people and {options['houses']:,} "
                          f"houses to {people_csv.parent}/ …")
        started = time.perf_counter()
        with open(people_csv, "w", encoding="utf-8", newline="") as people_out, \
                open(houses_csv, "w", encoding="utf-8", newline="") as houses_out:
            bulk.write_synthetic(people_out, houses_out, options["people"], options["houses"],
                                 options["seed"])
        generate_seconds = time.perf_counter() - started

        def progress(done):
            self.stderr.write(f"  {done:,} rows")

        self.stderr.write("importing people …")
        started = time.perf_counter()
        with open(people_csv, encoding="utf-8", newline="") as stream:
            people = bulk.import_people_csv(stream, source=str(people_csv), progress=progress,
                                             workers=options["workers"])
        people_seconds = time.perf_counter() - started
        self.stderr.write("importing houses …")
        started = time.perf_counter()
        with open(houses_csv, encoding="utf-8", newline="") as stream:
            houses = bulk.import_houses_csv(stream, source=str(houses_csv), progress=progress,
                                            workers=options["workers"])
        houses_seconds = time.perf_counter() - started
        started = time.perf_counter()
        bulk.analyze()
        analyze_seconds = time.perf_counter() - started
        seconds = people_seconds + houses_seconds + analyze_seconds

        rng = random.Random(options["seed"])
        wanted = options["lookups"]
        sample = []
        with open(people_csv, encoding="utf-8") as stream:  # reservoir: ID numbers in the file
            next(stream)
            for n, line in enumerate(stream):
                if len(sample) < wanted:
                    sample.append(line.split(",", 2)[1])
                elif (k := rng.randrange(n + 1)) < wanted:
                    sample[k] = line.split(",", 2)[1]
        services.find_by_id_number(sample[0])  # untimed: the first touch of a cold file
        timings, found = [], 0
        for number in sample:
            t0 = time.perf_counter()
            person = services.find_by_id_number(number)
            timings.append((time.perf_counter() - t0) * 1000)
            found += person is not None and services.id_number_of(person) == number
        rows = people["rows"] + houses["rows"]
        figures = {
            "people": people["created"], "houses": houses["created"],
            "buildings": houses["buildings_created"], "changes": people["created"],
            "generate_seconds": round(generate_seconds, 2),
            "people_seconds": round(people_seconds, 2),
            "houses_seconds": round(houses_seconds, 2),
            "analyze_seconds": round(analyze_seconds, 2),
            "import_seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds),
            "people_per_second": round(people["rows"] / people_seconds),
            "houses_per_second": round(houses["rows"] / houses_seconds),
            "lookups": len(sample), "lookups_found": found,
            "lookup_ms": round(statistics.median(timings), 3),
            "lookup_ms_max": round(max(timings), 3),
            "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        }
        self.stdout.write(
            f"{rows:,} rows ({figures['people']:,} people, {figures['houses']:,} houses in "
            f"{figures['buildings']:,} buildings) in {figures['import_seconds']} s: "
            f"{figures['rows_per_second']:,} rows/s; lookup by ID number "
            f"{figures['lookup_ms']} ms (median of {len(sample)}, {found} found)")
        self.stdout.write(json.dumps(figures))
        if found != len(sample) or people["problems"] or houses["problems"]:
            raise CommandError("the checks failed")
