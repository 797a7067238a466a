from django.contrib import admin
from django.urls import include, path

from catalog.admin import fixed_site
from core.views import index

urlpatterns = [
    path("", index, name="index"),
    path("admin/", admin.site.urls),
    path("admin-fixed/", fixed_site.urls),
    path("accounts/", include("accounts.urls")),
    path("catalog/", include("catalog.urls")),
    path("orders/", include("orders.urls")),
]
