"""Catalogue pages. Each N+1 view has a twin named `<view>_fixed` that runs a fixed number of
queries; lines where querysight must report a finding end with `# expect: <codes>`."""

from django.db.models import Count, Exists, OuterRef, Prefetch
from django.http import HttpResponse, JsonResponse

from .models import Author, Book, Publisher, Review, Stock


def book_authors(request):
    """One path adds `select_related("author")`, the other does not: still an N+1."""
    books = Book.objects.all()
    if request.GET.get("detailed"):
        books = books.select_related("author")
    rows = []
    for book in books:
        rows.append(
            [
                book.title,
                book.author.name,  # expect: QS101
            ]
        )
    return JsonResponse({"books": rows})


def book_authors_fixed(request):
    books = Book.objects.select_related("author")
    if request.GET.get("detailed"):
        books = books.select_related("author", "publisher")
    rows = []
    for book in books:
        rows.append(
            [
                book.title,
                book.author.name,
            ]
        )
    return JsonResponse({"books": rows})


def book_author_ids(request):
    """Loads each author only to read its key."""
    pairs = []
    for book in Book.objects.all():
        pairs.append(
            [
                book.pk,
                book.author.id,  # expect: QS108
            ]
        )
    return JsonResponse({"pairs": pairs})


def book_author_ids_fixed(request):
    pairs = []
    for book in Book.objects.all():
        pairs.append(
            [
                book.pk,
                book.author_id,
            ]
        )
    return JsonResponse({"pairs": pairs})


def book_tags(request):
    """Many-to-many read per row."""
    lines = []
    for book in Book.objects.all():
        names = []
        for tag in book.tags.all():  # expect: QS102
            names.append(tag.name)
        lines.append(f"{book.title}: {', '.join(names)}")
    return HttpResponse("\n".join(lines), content_type="text/plain")


def book_tags_fixed(request):
    lines = []
    for book in Book.objects.prefetch_related("tags"):
        names = []
        for tag in book.tags.all():
            names.append(tag.name)
        lines.append(f"{book.title}: {', '.join(names)}")
    return HttpResponse("\n".join(lines), content_type="text/plain")


def book_tag_lists(request):
    """A model method called per row that reads the many-to-many (`Book.tag_names`)."""
    data = {}
    for book in Book.objects.all():
        data[book.title] = book.tag_names()  # expect: QS102
    return JsonResponse(data)


def book_tag_lists_fixed(request):
    data = {}
    for book in Book.objects.prefetch_related("tags"):
        data[book.title] = book.tag_names()
    return JsonResponse(data)


def publisher_catalogue(request):
    """Reverse foreign key without `related_name`: `publisher.book_set`."""
    catalogue = {}
    for publisher in Publisher.objects.all():
        catalogue[publisher.name] = [
            book.title
            for book in publisher.book_set.all()  # expect: QS102
        ]
    return JsonResponse(catalogue)


def publisher_catalogue_fixed(request):
    catalogue = {}
    for publisher in Publisher.objects.prefetch_related("book_set"):
        catalogue[publisher.name] = [book.title for book in publisher.book_set.all()]
    return JsonResponse(catalogue)


def author_book_lengths(request):
    """`len(author.books.all())` loads every author's books, one query per author."""
    sizes = {}
    for author in Author.objects.all():
        sizes[author.name] = len(author.books.all())  # expect: QS102
    return JsonResponse(sizes)


def author_book_lengths_fixed(request):
    sizes = {}
    for author in Author.objects.prefetch_related("books"):
        sizes[author.name] = len(author.books.all())
    return JsonResponse(sizes)


def author_book_counts(request):
    """`.count()` per row on a relation that is not prefetched."""
    counts = []
    for author in Author.objects.all():
        counts.append(
            [
                author.name,
                author.books.count(),  # expect: QS104
            ]
        )
    return JsonResponse({"authors": counts})


def author_book_counts_fixed(request):
    counts = []
    for author in Author.objects.annotate(num_books=Count("books")):
        counts.append(
            [
                author.name,
                author.num_books,
            ]
        )
    return JsonResponse({"authors": counts})


def publishers_with_books(request):
    """`.exists()` per row on a reverse foreign key."""
    names = []
    for publisher in Publisher.objects.all():
        if publisher.book_set.exists():  # expect: QS104
            names.append(publisher.name)
    return JsonResponse({"publishers": names})


def publishers_with_books_fixed(request):
    names = []
    publishers = Publisher.objects.annotate(
        has_books=Exists(Book.objects.filter(publisher=OuterRef("pk")))
    )
    for publisher in publishers:
        if publisher.has_books:
            names.append(publisher.name)
    return JsonResponse({"publishers": names})


def good_reviews(request):
    """`prefetch_related("reviews")` is thrown away by `.filter()` on the manager."""
    data = {}
    for book in Book.objects.prefetch_related("reviews"):
        good = book.reviews.filter(rating__gte=4)  # expect: QS103
        data[book.title] = [review.body for review in good]
    return JsonResponse(data)


def good_reviews_fixed(request):
    data = {}
    books = Book.objects.prefetch_related(
        Prefetch(
            "reviews",
            queryset=Review.objects.filter(rating__gte=4),
            to_attr="good_reviews",
        )
    )
    for book in books:
        good = book.good_reviews
        data[book.title] = [review.body for review in good]
    return JsonResponse(data)


def book_prices(request):
    """`price` is deferred by `only("title")`: reading it loads it row by row."""
    prices = []
    for book in Book.objects.only("title"):
        prices.append(
            [
                book.title,
                str(book.price),  # expect: QS105
            ]
        )
    return JsonResponse({"prices": prices})


def book_prices_fixed(request):
    prices = []
    for book in Book.objects.only("title", "price"):
        prices.append(
            [
                book.title,
                str(book.price),
            ]
        )
    return JsonResponse({"prices": prices})


def stock_levels(request):
    """A query per row written out in the loop."""
    levels = {}
    for book in Book.objects.all():
        stock = Stock.objects.get(book=book)  # expect: QS106
        levels[book.title] = stock.quantity
    return JsonResponse(levels)


def stock_levels_fixed(request):
    levels = {}
    for book in Book.objects.select_related("stock"):
        stock = book.stock
        levels[book.title] = stock.quantity
    return JsonResponse(levels)


def book_cards(request):
    """Everything a card shows, loaded row by row; the custom queryset method fixes it."""
    cards = []
    for book in Book.objects.all():
        cards.append(
            {
                "title": book.title,
                "author": book.author.name,  # expect: QS101
                "publisher": book.publisher.name,  # expect: QS101
                "tags": [tag.name for tag in book.tags.all()],  # expect: QS102
            }
        )
    return JsonResponse({"cards": cards})


def book_cards_fixed(request):
    cards = []
    for book in Book.objects.with_related():
        cards.append(
            {
                "title": book.title,
                "author": book.author.name,
                "publisher": book.publisher.name,
                "tags": [tag.name for tag in book.tags.all()],
            }
        )
    return JsonResponse({"cards": cards})


# Not N+1s: no annotations, no twins.


def newest_book(request):
    """A loop over a queryset cut to one row: its relations are read once."""
    rows = []
    for book in Book.objects.order_by("-created", "-pk")[:1]:
        rows.append([book.title, book.author.name, book.publisher.name])
    return JsonResponse({"books": rows})


def first_book_tags(request):
    """`.first()` gives one object; reading its author inside the loop queries once, then caches."""
    book = Book.objects.first()
    labels = []
    if book is None:
        return JsonResponse({"labels": labels})
    for tag in book.tags.all():
        labels.append(f"{tag.name} ({book.author.name})")
    return JsonResponse({"labels": labels})


def book_title_rows(request):
    """`values()` rows are dicts: no relation is loaded per row."""
    titles = []
    for row in Book.objects.values("title", "author__name"):
        titles.append(f"{row['title']} by {row['author__name']}")
    return JsonResponse({"titles": titles})
