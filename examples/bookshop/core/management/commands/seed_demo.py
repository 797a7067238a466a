from django.core.management.base import BaseCommand, CommandError

from catalog.models import Book
from core.demo import seed


class Command(BaseCommand):
    help = "Fill an empty database with demo rows for every model of the bookshop."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=20, help="rows per table (default 20)")

    def handle(self, *args, rows, **options):
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        if Book.objects.exists():
            raise CommandError("The database already has books; start from an empty one.")
        seed(rows)
        self.stdout.write(f"Created {rows} rows per table.")
