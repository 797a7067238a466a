"""Reports built in Python, called from management code and the shell. Each N+1 function has a
twin named `<function>_fixed`; lines where querysight must report a finding end with
`# expect: <codes>`."""

from django.db.models import Exists, OuterRef, Prefetch

from .models import Author, Book, Review


def author_summaries():
    """A property called per row (`Author.book_count`) that runs `.count()`."""
    lines = []
    for author in Author.objects.all():
        lines.append(
            f"{author.name}: {author.book_count} books"  # expect: QS104
        )
    return lines


def author_summaries_fixed():
    # `.count()` on a prefetched relation counts the cache.
    lines = []
    for author in Author.objects.prefetch_related("books"):
        lines.append(f"{author.name}: {author.book_count} books")
    return lines


def books_with_reviews():
    """A model method called per row that runs its own query (`Book.has_reviews`)."""
    titles = []
    for book in Book.objects.all():
        if book.has_reviews():  # expect: QS106
            titles.append(book.title)
    return titles


def books_with_reviews_fixed():
    # No eager load helps a query of its own: ask the database once instead.
    titles = []
    books = Book.objects.annotate(reviewed=Exists(Review.objects.filter(book=OuterRef("pk"))))
    for book in books:
        if book.reviewed:
            titles.append(book.title)
    return titles


def latest_reviews():
    """A query per row: the newest review of each book."""
    latest = {}
    for book in Book.objects.all():
        review = Review.objects.filter(book=book).last()  # expect: QS106
        latest[book.title] = review.body if review else None
    return latest


def latest_reviews_fixed():
    books = list(Book.objects.all())
    newest = {}
    for review in Review.objects.filter(book__in=books):
        newest[review.book_id] = review
    latest = {}
    for book in books:
        review = newest.get(book.pk)
        latest[book.title] = review.body if review else None
    return latest


def reviewer_ids():
    """Loads each reviewer only to read its primary key."""
    ids = []
    for review in Review.objects.all():
        ids.append(
            review.user.pk  # expect: QS108
        )
    return ids


def reviewer_ids_fixed():
    ids = []
    for review in Review.objects.all():
        ids.append(review.user_id)
    return ids


def review_lines():
    """Forward foreign keys read per review; the custom manager `Review.visible` joins them."""
    lines = []
    for review in Review.objects.filter(is_visible=True):
        lines.append(
            f"{review.book.title}: "  # expect: QS101
            f"{review.rating}/5"
        )
    return lines


def review_lines_fixed():
    lines = []
    for review in Review.visible.all():
        lines.append(f"{review.book.title}: {review.rating}/5")
    return lines


def critical_reviews():
    """`.exclude()` on a prefetched manager queries again."""
    report = {}
    for book in Book.objects.prefetch_related("reviews"):
        bad = book.reviews.exclude(rating__gte=3)  # expect: QS103
        report[book.title] = [review.rating for review in bad]
    return report


def critical_reviews_fixed():
    report = {}
    books = Book.objects.prefetch_related(
        Prefetch(
            "reviews",
            queryset=Review.objects.exclude(rating__gte=3),
            to_attr="critical_reviews",
        )
    )
    for book in books:
        bad = book.critical_reviews
        report[book.title] = [review.rating for review in bad]
    return report


def reviews_best_first():
    """`.order_by()` on a prefetched manager queries again."""
    report = {}
    for book in Book.objects.prefetch_related("reviews"):
        ranked = book.reviews.order_by("-rating", "id")  # expect: QS103
        report[book.title] = [review.rating for review in ranked]
    return report


def reviews_best_first_fixed():
    report = {}
    books = Book.objects.prefetch_related(
        Prefetch("reviews", queryset=Review.objects.order_by("-rating", "id"))
    )
    for book in books:
        ranked = book.reviews.all()
        report[book.title] = [review.rating for review in ranked]
    return report
