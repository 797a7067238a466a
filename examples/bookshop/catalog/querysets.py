from django.db import models


class BookQuerySet(models.QuerySet):
    def with_related(self):
        """Everything a book card shows, loaded up front."""
        return self.select_related("author", "publisher").prefetch_related("tags")

    def in_stock(self):
        return self.filter(stock__quantity__gt=0)


class VisibleReviewManager(models.Manager):
    """`Review.visible`: hidden reviews left out, the book and the reviewer joined in."""

    def get_queryset(self):
        return super().get_queryset().filter(is_visible=True).select_related("book", "user")
