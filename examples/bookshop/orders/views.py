"""Order pages. Each N+1 view has a twin named `<view>_fixed` that runs a fixed number of
queries; lines where querysight must report a finding end with `# expect: <codes>`."""

from django.http import JsonResponse

from .helpers import format_order, line_total
from .models import Order


def order_customers(request):
    """Forward foreign key read per row."""
    rows = []
    for order in Order.objects.all():
        rows.append(
            {
                "id": order.pk,
                "customer": order.customer.name,  # expect: QS101
            }
        )
    return JsonResponse({"orders": rows})


def order_customers_fixed(request):
    rows = []
    for order in Order.objects.select_related("customer"):
        rows.append(
            {
                "id": order.pk,
                "customer": order.customer.name,
            }
        )
    return JsonResponse({"orders": rows})


def order_teams(request):
    """Two forward foreign keys in a row: `order.customer.team`."""
    orders = Order.objects.all()
    teams = []
    for order in orders:
        teams.append(
            order.customer.team.name  # expect: QS101
        )
    return JsonResponse({"teams": teams})


def order_teams_fixed(request):
    orders = Order.objects.select_related("customer__team")
    teams = []
    for order in orders:
        teams.append(order.customer.team.name)
    return JsonResponse({"teams": teams})


def order_lines(request):
    """A loop in a loop: the lines of each order, then the book of each line."""
    orders = Order.objects.all()
    data = {}
    for order in orders:
        titles = []
        for line in order.lines.all():  # expect: QS102
            titles.append(
                f"{line_total(line)} x {line.book.title}"  # expect: QS101
            )
        data[order.pk] = titles
    return JsonResponse(data)


def order_lines_fixed(request):
    orders = Order.objects.prefetch_related("lines__book")
    data = {}
    for order in orders:
        titles = []
        for line in order.lines.all():
            titles.append(f"{line_total(line)} x {line.book.title}")
        data[order.pk] = titles
    return JsonResponse(data)


def order_labels(request):
    """A model method called per row that reads a forward foreign key (`Order.customer_label`)."""
    labels = []
    for order in Order.objects.all():
        labels.append(
            order.customer_label()  # expect: QS101
        )
    return JsonResponse({"labels": labels})


def order_labels_fixed(request):
    labels = []
    for order in Order.objects.select_related("customer"):
        labels.append(order.customer_label())
    return JsonResponse({"labels": labels})


def formatted_orders(request):
    """A helper from another module called per row (`helpers.format_order`)."""
    lines = []
    for order in Order.objects.all():
        lines.append(
            format_order(order)  # expect: QS101
        )
    return JsonResponse({"orders": lines})


def formatted_orders_fixed(request):
    lines = []
    for order in Order.objects.select_related("customer__team"):
        lines.append(format_order(order))
    return JsonResponse({"orders": lines})
