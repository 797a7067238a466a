"""Writes about orders. Each N+1 function has a twin named `<function>_fixed`."""

from .models import AuditLog, Order


def audit_orders():
    """An INSERT per row."""
    logged = 0
    for order in Order.objects.all():
        AuditLog.objects.create(message=f"checked order {order.pk}")  # expect: QS107
        logged += 1
    return logged


def audit_orders_fixed():
    entries = []
    for order in Order.objects.all():
        entries.append(AuditLog(message=f"checked order {order.pk}"))
    AuditLog.objects.bulk_create(entries)
    return len(entries)
