"""Catalogue pages rendered with templates. The N+1s sit in the templates (the lines ending
with `{# expect: <codes> #}`); the fix goes on the queryset built here. Each N+1 view has a
twin named `<view>_fixed`."""

from django.db.models import Count
from django.shortcuts import render
from django.views.generic import DetailView, ListView

from .models import Author, Book, Publisher


def shelf(request):
    """A dict literal: `books` reaches the template's `{% for %}` without `select_related`."""
    return render(request, "catalog/shelf.html", {"books": Book.objects.all()})


def shelf_fixed(request):
    books = Book.objects.select_related("author").prefetch_related("tags")
    return render(request, "catalog/shelf.html", {"books": books})


def tag_board(request):
    """The context is built in steps."""
    context = {}
    context["books"] = Book.objects.order_by("title")
    context.update(title="Tags")
    return render(request, "catalog/tag_board.html", context)


def tag_board_fixed(request):
    context = {}
    context["books"] = Book.objects.order_by("title").prefetch_related("tags")
    context.update(title="Tags")
    return render(request, "catalog/tag_board.html", context)


def book_rows(request):
    """The loop includes a row template that reads the publisher."""
    return render(request, "catalog/book_rows.html", {"books": Book.objects.all()})


def book_rows_fixed(request):
    books = Book.objects.select_related("publisher")
    return render(request, "catalog/book_rows.html", {"books": books})


def labels(request):
    """A filter and a simple tag of `catalog_tags` read relations of each book."""
    return render(request, "catalog/labels.html", {"books": Book.objects.all()})


def labels_fixed(request):
    books = Book.objects.select_related("author").prefetch_related("reviews")
    return render(request, "catalog/labels.html", {"books": books})


class AuthorListView(ListView):
    """Django's default template name (`catalog/author_list.html`) and context name
    (`author_list`)."""

    model = Author


class AuthorListFixedView(ListView):
    queryset = Author.objects.annotate(book_total=Count("books"))
    template_name = "catalog/author_list_fixed.html"
    context_object_name = "authors"


class PublisherDetailView(DetailView):
    """One publisher; its books are rows: `{{ book.author.name }}` per book."""

    model = Publisher

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent"] = Book.objects.filter(publisher=self.object)[:20]
        return context


class PublisherDetailFixedView(DetailView):
    model = Publisher
    template_name = "catalog/publisher_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["recent"] = Book.objects.filter(publisher=self.object).select_related("author")[:20]
        return context
