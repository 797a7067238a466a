from django.urls import path

from . import pages, views

app_name = "catalog"

urlpatterns = [
    path("books/authors/", views.book_authors, name="book_authors"),
    path("books/authors/fixed/", views.book_authors_fixed, name="book_authors_fixed"),
    path("books/author-ids/", views.book_author_ids, name="book_author_ids"),
    path("books/author-ids/fixed/", views.book_author_ids_fixed, name="book_author_ids_fixed"),
    path("books/tags/", views.book_tags, name="book_tags"),
    path("books/tags/fixed/", views.book_tags_fixed, name="book_tags_fixed"),
    path("books/tag-lists/", views.book_tag_lists, name="book_tag_lists"),
    path("books/tag-lists/fixed/", views.book_tag_lists_fixed, name="book_tag_lists_fixed"),
    path("books/prices/", views.book_prices, name="book_prices"),
    path("books/prices/fixed/", views.book_prices_fixed, name="book_prices_fixed"),
    path("books/stock/", views.stock_levels, name="stock_levels"),
    path("books/stock/fixed/", views.stock_levels_fixed, name="stock_levels_fixed"),
    path("books/cards/", views.book_cards, name="book_cards"),
    path("books/cards/fixed/", views.book_cards_fixed, name="book_cards_fixed"),
    path("books/good-reviews/", views.good_reviews, name="good_reviews"),
    path("books/good-reviews/fixed/", views.good_reviews_fixed, name="good_reviews_fixed"),
    path("books/newest/", views.newest_book, name="newest_book"),
    path("books/first/tags/", views.first_book_tags, name="first_book_tags"),
    path("books/titles/", views.book_title_rows, name="book_title_rows"),
    path("publishers/", views.publisher_catalogue, name="publisher_catalogue"),
    path("publishers/fixed/", views.publisher_catalogue_fixed, name="publisher_catalogue_fixed"),
    path("publishers/active/", views.publishers_with_books, name="publishers_with_books"),
    path(
        "publishers/active/fixed/",
        views.publishers_with_books_fixed,
        name="publishers_with_books_fixed",
    ),
    path("authors/lengths/", views.author_book_lengths, name="author_book_lengths"),
    path(
        "authors/lengths/fixed/",
        views.author_book_lengths_fixed,
        name="author_book_lengths_fixed",
    ),
    path("authors/counts/", views.author_book_counts, name="author_book_counts"),
    path("authors/counts/fixed/", views.author_book_counts_fixed, name="author_book_counts_fixed"),
    path("pages/shelf/", pages.shelf, name="shelf"),
    path("pages/shelf/fixed/", pages.shelf_fixed, name="shelf_fixed"),
    path("pages/tags/", pages.tag_board, name="tag_board"),
    path("pages/tags/fixed/", pages.tag_board_fixed, name="tag_board_fixed"),
    path("pages/rows/", pages.book_rows, name="book_rows"),
    path("pages/rows/fixed/", pages.book_rows_fixed, name="book_rows_fixed"),
    path("pages/labels/", pages.labels, name="labels"),
    path("pages/labels/fixed/", pages.labels_fixed, name="labels_fixed"),
    path("pages/authors/", pages.AuthorListView.as_view(), name="author_list"),
    path("pages/authors/fixed/", pages.AuthorListFixedView.as_view(), name="author_list_fixed"),
    path("pages/publishers/<int:pk>/", pages.PublisherDetailView.as_view(), name="publisher_detail"),
    path(
        "pages/publishers/<int:pk>/fixed/",
        pages.PublisherDetailFixedView.as_view(),
        name="publisher_detail_fixed",
    ),
]
