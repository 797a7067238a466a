from django.conf import settings
from django.db import models

from core.models import TimeStampedModel

from .querysets import BookQuerySet, VisibleReviewManager


class Publisher(models.Model):
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Author(models.Model):
    name = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="authors",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def book_count(self):
        """A query per call unless `books` was prefetched (then it counts the cache)."""
        return self.books.count()


class Tag(models.Model):
    name = models.SlugField(unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def catalogue(self):
        """Titles and authors of every book with this tag (a loop inside a model method)."""
        entries = []
        for book in self.book_set.all():
            entries.append(
                f"{book.title} by {book.author.name}"  # expect: QS101
            )
        return entries

    def catalogue_fixed(self):
        entries = []
        for book in self.book_set.select_related("author"):
            entries.append(f"{book.title} by {book.author.name}")
        return entries


class Book(TimeStampedModel):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    publisher = models.ForeignKey("Publisher", on_delete=models.PROTECT)
    tags = models.ManyToManyField(Tag, blank=True)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    summary = models.TextField(blank=True)

    objects = BookQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def tag_names(self):
        """Reads the many-to-many: a query per call unless `tags` was prefetched."""
        return ", ".join(tag.name for tag in self.tags.all())

    def has_reviews(self):
        """A query of its own on every call: no eager load on the caller's queryset helps."""
        return Review.objects.filter(book=self).exists()


class Review(TimeStampedModel):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    rating = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True)
    is_visible = models.BooleanField(default=True)

    objects = models.Manager()
    visible = VisibleReviewManager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.rating}/5"


class Stock(models.Model):
    book = models.OneToOneField(Book, on_delete=models.CASCADE)
    quantity = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.quantity} in stock"
