"""Writes on the catalogue. Each N+1 function has a twin named `<function>_fixed`."""

from decimal import Decimal

from .models import Book


def discounted(price, percent):
    return (price * (100 - percent) / 100).quantize(Decimal("0.01"))


def apply_discount(percent=10):
    """Saves the books one by one: an UPDATE per row."""
    changed = []
    for book in Book.objects.all():
        book.price = discounted(book.price, percent)
        book.save()  # expect: QS107
        changed.append((book.title, book.price))
    return changed


def apply_discount_fixed(percent=10):
    # bulk_update neither calls save() nor sends signals, and leaves `modified` alone.
    books = list(Book.objects.all())
    changed = []
    for book in books:
        book.price = discounted(book.price, percent)
        changed.append((book.title, book.price))
    Book.objects.bulk_update(books, ["price"])
    return changed
