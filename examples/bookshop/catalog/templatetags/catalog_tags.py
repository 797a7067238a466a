"""Template filters and tags of the catalogue: they run once per row when a template loop
applies them, so a query inside them is a query per row."""

from django import template

register = template.Library()


@register.filter
def author_label(book):
    """Reads the book's author: a query per book unless the queryset selects it."""
    return f"{book.title} ({book.author.name})"


@register.simple_tag
def review_total(book):
    """Counts the book's reviews: a query per book unless they are prefetched."""
    return book.reviews.count()
