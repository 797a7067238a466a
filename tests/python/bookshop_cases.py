"""The registry of the example's N+1 cases: each function or view that must be reported, its
`_fixed` twin, and the codes its annotations carry. Import after Django is set up."""

from dataclasses import dataclass, field
from collections.abc import Callable

from accounts import views as accounts_views
from catalog import reports as catalog_reports
from catalog import services as catalog_services
from catalog import views as catalog_views
from catalog.models import Tag
from orders import services as orders_services
from orders import views as orders_views


@dataclass(frozen=True)
class Case:
    n_plus_one: Callable
    fixed: Callable
    codes: frozenset
    # GET parameters (views) or keyword arguments (functions); one run per variant.
    variants: tuple = ({},)
    # For a method: builds `self`, outside the measured block.
    instance: Callable | None = field(default=None, compare=False)

    @property
    def id(self):
        return f"{self.n_plus_one.__module__}.{self.n_plus_one.__qualname__}"


def case(n_plus_one, fixed, codes, **options):
    return Case(n_plus_one, fixed, frozenset(c.strip() for c in codes.split(",")), **options)


def featured_tag():
    return Tag.objects.get(name="featured")


CASES = [
    # accounts/views.py
    case(accounts_views.user_bios, accounts_views.user_bios_fixed, "QS101"),
    case(accounts_views.user_teams, accounts_views.user_teams_fixed, "QS101"),
    case(accounts_views.team_rosters, accounts_views.team_rosters_fixed, "QS102"),
    # catalog/models.py
    case(Tag.catalogue, Tag.catalogue_fixed, "QS101", instance=featured_tag),
    # catalog/views.py
    case(
        catalog_views.book_authors,
        catalog_views.book_authors_fixed,
        "QS101",
        variants=({}, {"detailed": "1"}),
    ),
    case(catalog_views.book_author_ids, catalog_views.book_author_ids_fixed, "QS108"),
    case(catalog_views.book_tags, catalog_views.book_tags_fixed, "QS102"),
    case(catalog_views.book_tag_lists, catalog_views.book_tag_lists_fixed, "QS102"),
    case(catalog_views.publisher_catalogue, catalog_views.publisher_catalogue_fixed, "QS102"),
    case(catalog_views.author_book_lengths, catalog_views.author_book_lengths_fixed, "QS102"),
    case(catalog_views.author_book_counts, catalog_views.author_book_counts_fixed, "QS104"),
    case(catalog_views.publishers_with_books, catalog_views.publishers_with_books_fixed, "QS104"),
    case(catalog_views.good_reviews, catalog_views.good_reviews_fixed, "QS103"),
    case(catalog_views.book_prices, catalog_views.book_prices_fixed, "QS105"),
    case(catalog_views.stock_levels, catalog_views.stock_levels_fixed, "QS106"),
    case(catalog_views.book_cards, catalog_views.book_cards_fixed, "QS101, QS102"),
    # catalog/reports.py
    case(catalog_reports.author_summaries, catalog_reports.author_summaries_fixed, "QS104"),
    case(catalog_reports.books_with_reviews, catalog_reports.books_with_reviews_fixed, "QS106"),
    case(catalog_reports.latest_reviews, catalog_reports.latest_reviews_fixed, "QS106"),
    case(catalog_reports.reviewer_ids, catalog_reports.reviewer_ids_fixed, "QS108"),
    case(catalog_reports.review_lines, catalog_reports.review_lines_fixed, "QS101"),
    case(catalog_reports.critical_reviews, catalog_reports.critical_reviews_fixed, "QS103"),
    case(catalog_reports.reviews_best_first, catalog_reports.reviews_best_first_fixed, "QS103"),
    # catalog/services.py
    case(catalog_services.apply_discount, catalog_services.apply_discount_fixed, "QS107"),
    # orders/views.py
    case(orders_views.order_customers, orders_views.order_customers_fixed, "QS101"),
    case(orders_views.order_teams, orders_views.order_teams_fixed, "QS101"),
    case(orders_views.order_lines, orders_views.order_lines_fixed, "QS102, QS101"),
    case(orders_views.order_labels, orders_views.order_labels_fixed, "QS101"),
    case(orders_views.formatted_orders, orders_views.formatted_orders_fixed, "QS101"),
    # orders/services.py
    case(orders_services.audit_orders, orders_services.audit_orders_fixed, "QS107"),
]

# Loops that look like N+1s but are not: flat, and never annotated.
NOT_N_PLUS_ONE = [
    catalog_views.newest_book,
    catalog_views.first_book_tags,
    catalog_views.book_title_rows,
]
