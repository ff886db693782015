from django.core.management.base import BaseCommand

from wangge.core.encrypted import rotate_all
from wangge.people.services import rotate_keys


class Command(BaseCommand):
    help = ("Re-encrypt every person's ID number and phone, and every other encrypted value "
            "(reporter phones, contact phones, special-group tags), with the current data key "
            "(the first of DATA_KEYS). Run after putting a new key first; then the old key "
            "can go.")

    def handle(self, *args, **options):
        count = rotate_keys()
        self.stdout.write(self.style.SUCCESS(f"{count} people re-encrypted with the current key"))
        for name, changed in rotate_all().items():
            self.stdout.write(f"{name}: {changed} re-encrypted")
