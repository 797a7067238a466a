from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("customers/", views.order_customers, name="order_customers"),
    path("customers/fixed/", views.order_customers_fixed, name="order_customers_fixed"),
    path("teams/", views.order_teams, name="order_teams"),
    path("teams/fixed/", views.order_teams_fixed, name="order_teams_fixed"),
    path("lines/", views.order_lines, name="order_lines"),
    path("lines/fixed/", views.order_lines_fixed, name="order_lines_fixed"),
    path("labels/", views.order_labels, name="order_labels"),
    path("labels/fixed/", views.order_labels_fixed, name="order_labels_fixed"),
    path("formatted/", views.formatted_orders, name="formatted_orders"),
    path("formatted/fixed/", views.formatted_orders_fixed, name="formatted_orders_fixed"),
]
