"""DRF serializers of the catalogue, used by the list endpoints in `catalog.api`.

What a serializer reads per row depends on the view's queryset: the annotated fields are N+1
queries for `BookList` / `AuthorList` and nothing for their `...Fixed` twins.
"""

from rest_framework import serializers

from .models import Author, Book


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Author
        fields = ["id", "name"]


class BookSerializer(serializers.ModelSerializer):
    # A nested serializer loads the author of each book.
    author = AuthorSerializer()  # expect: QS101
    # `str()` of every tag: `.all()` on the many-to-many per book.
    tags = serializers.StringRelatedField(many=True)  # expect: QS102

    class Meta:
        model = Book
        # `publisher` is a `PrimaryKeyRelatedField`: the key column, no query.
        fields = ["id", "title", "author", "publisher", "tags"]


class AuthorBooksSerializer(serializers.ModelSerializer):
    book_total = serializers.SerializerMethodField()  # expect: QS104

    class Meta:
        model = Author
        fields = [
            "name",
            "books",  # expect: QS102
            "book_total",
        ]

    def get_book_total(self, obj):
        return obj.books.count()
