from django.contrib import admin

from .models import AuditLog, Customer, Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("id", "created", "note")
    inlines = [OrderLineInline]


admin.site.register(Customer)
admin.site.register(AuditLog)
