"""Demo data: `rows` of everything, written with one bulk INSERT per table.

Users, profiles, teams, customers, orders and stock pair up row by row. Books i and i+1 share
author and publisher number i // 2 (so half the authors and publishers have two books and half
none); every third book has no reviews; every book carries the tag `featured`, so
`Tag.catalogue()` on it walks all the books. Used by `manage.py seed_demo` and by the tests.
"""

from decimal import Decimal

from accounts.models import Profile, Team, User
from catalog.models import Author, Book, Publisher, Review, Stock, Tag
from orders.models import Customer, Order, OrderLine


def seed(rows):
    if rows < 1:
        raise ValueError("rows must be at least 1")
    numbers = [f"{i + 1:02d}" for i in range(rows)]

    teams = Team.objects.bulk_create([Team(name=f"team-{n}") for n in numbers])
    users = []
    for n, team in zip(numbers, teams):
        user = User(username=f"user-{n}", email=f"user-{n}@example.com", team=team)
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    Profile.objects.bulk_create(
        [Profile(user=user, bio=f"Bio of {user.username}") for user in users]
    )

    publishers = Publisher.objects.bulk_create(
        [Publisher(name=f"Publisher {n}", country="GB") for n in numbers]
    )
    authors = Author.objects.bulk_create(
        [Author(name=f"Author {n}", user=user) for n, user in zip(numbers, users)]
    )
    tags = Tag.objects.bulk_create(
        [Tag(name="featured")] + [Tag(name=f"tag-{n}") for n in numbers[1:]]
    )
    books = Book.objects.bulk_create(
        [
            Book(
                title=f"Book {n}",
                author=authors[i // 2],
                publisher=publishers[i // 2],
                price=Decimal(10 + i),
                summary=f"Summary of book {n}",
            )
            for i, n in enumerate(numbers)
        ]
    )
    book_tags = [Book.tags.through(book=book, tag=tags[0]) for book in books]
    book_tags += [Book.tags.through(book=book, tag=tag) for book, tag in zip(books[1:], tags[1:])]
    Book.tags.through.objects.bulk_create(book_tags)
    Stock.objects.bulk_create([Stock(book=book, quantity=i) for i, book in enumerate(books)])
    reviews = []
    for i, book in enumerate(books):
        if i % 3 == 2:
            continue
        reviews.append(
            Review(book=book, user=users[i], rating=i % 5 + 1, body=f"First on {book.title}")
        )
        reviews.append(
            Review(
                book=book,
                user=users[(i + 1) % rows],
                rating=(i + 2) % 5 + 1,
                body=f"Second on {book.title}",
                is_visible=i % 4 != 3,
            )
        )
    Review.objects.bulk_create(reviews)

    customers = Customer.objects.bulk_create(
        [
            Customer(name=f"Customer {n}", email=f"customer-{n}@example.com", team=team, user=user)
            for n, team, user in zip(numbers, teams, users)
        ]
    )
    orders = Order.objects.bulk_create(
        [Order(customer=customer, note=f"order {n}") for n, customer in zip(numbers, customers)]
    )
    lines = []
    for i, order in enumerate(orders):
        lines.append(OrderLine(order=order, book=books[i], quantity=1))
        lines.append(OrderLine(order=order, book=books[(i + 1) % rows], quantity=2))
    OrderLine.objects.bulk_create(lines)
