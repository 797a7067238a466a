"""URLs for the debug-toolbar test: the integration views plus the toolbar's own."""

from debug_toolbar.toolbar import debug_toolbar_urls

from integration_urls import urlpatterns as integration_patterns

urlpatterns = [*integration_patterns, *debug_toolbar_urls()]
