"""Formatting helpers that take one object and read its relations."""


def format_order(order):
    """Reads `order.customer`, then `customer.team`: two queries unless both are selected."""
    return f"Order {order.pk} for team {order.customer.team.name}"


def line_total(line):
    """Own fields only: no query."""
    return line.quantity
