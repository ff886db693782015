from django.core.management.base import BaseCommand

from wangge.jobs.services import run_worker


class Command(BaseCommand):
    help = ("Run background jobs: deliver the outbox (notifications …) and run the periodic "
            "sweeps (overdue steps → 督办). Several workers may run at once.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--sweep-every", type=float, default=30.0,
                            help="seconds between sweeps (default 30)")

    def handle(self, *args, once, sweep_every, **options):
        if not once:
            self.stdout.write(f"worker started; sweeping every {sweep_every:g} s")
        run_worker(once=once, sweep_every=sweep_every)
