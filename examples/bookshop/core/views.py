from django.http import JsonResponse
from django.urls import get_resolver

EXAMPLE_APPS = ("accounts", "catalog", "orders")


def index(request):
    """List the pages of the example, grouped by app."""
    pages = {}
    for entry in get_resolver().url_patterns:
        if getattr(entry, "namespace", None) in EXAMPLE_APPS:
            pages[entry.namespace] = [
                f"/{entry.pattern}{pattern.pattern}" for pattern in entry.url_patterns
            ]
    return JsonResponse({"pages": pages})
