"""DRF list endpoints: each N+1 view and its `...Fixed` twin serialize the same rows with the
same serializer; only the queryset differs."""

from rest_framework import generics

from .models import Author, Book
from .serializers import AuthorBooksSerializer, BookSerializer


class BookList(generics.ListAPIView):
    queryset = Book.objects.all()
    serializer_class = BookSerializer


class BookListFixed(generics.ListAPIView):
    queryset = Book.objects.select_related("author").prefetch_related("tags")
    serializer_class = BookSerializer


class AuthorList(generics.ListAPIView):
    serializer_class = AuthorBooksSerializer

    def get_queryset(self):
        return Author.objects.all()


class AuthorListFixed(generics.ListAPIView):
    serializer_class = AuthorBooksSerializer

    def get_queryset(self):
        return Author.objects.prefetch_related("books")
