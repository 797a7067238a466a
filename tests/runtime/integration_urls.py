"""URLs for the integration tests: rtapp's views plus views that end in an error, render a full
HTML page (for the debug toolbar), or run async."""

from asgiref.sync import sync_to_async
from django.http import HttpResponse, JsonResponse
from django.urls import include, path

from rtapp.models import Post


def _titles_and_authors():
    return [[post.title, post.author.name] for post in Post.objects.all()]


def posts_not_found(request):
    return JsonResponse({"posts": _titles_and_authors()}, status=404)


def posts_server_error(request):
    return JsonResponse({"posts": _titles_and_authors()}, status=500)


def posts_raises(request):
    _titles_and_authors()
    raise RuntimeError("the view failed")


def posts_page(request):
    rows = "".join(f"<li>{title} by {author}</li>" for title, author in _titles_and_authors())
    return HttpResponse(f"<html><body><ul>{rows}</ul></body></html>")


def posts_page_fixed(request):
    posts = Post.objects.select_related("author")
    rows = "".join(f"<li>{post.title} by {post.author.name}</li>" for post in posts)
    return HttpResponse(f"<html><body><ul>{rows}</ul></body></html>")


async def posts_async(request):
    return JsonResponse({"posts": await sync_to_async(_titles_and_authors)()})


async def posts_async_fixed(request):
    posts = [[p.title, p.author.name] async for p in Post.objects.select_related("author")]
    return JsonResponse({"posts": posts})


def count_twice(request):
    """An application view that counts the posts twice: a duplicate at its lines."""
    first = Post.objects.count()
    second = Post.objects.count()
    return JsonResponse({"counts": [first, second]})


# The same view as code of no application file (a library's view, like Django admin's): its
# queries have no application frame between them and the middleware.
_library = {"Post": Post, "JsonResponse": JsonResponse, "__name__": "library_views"}


def author_names(posts):
    """Application code a library view calls with the rows of its own queryset."""
    return [post.author.name for post in posts]


_library["author_names"] = author_names
exec(compile(
    "def library_count_twice(request):\n"
    "    return JsonResponse({'counts': [Post.objects.count(), Post.objects.count()]})\n"
    "def library_list(request):\n"
    "    return JsonResponse({'authors': author_names(Post.objects.order_by('pk'))})\n",
    "<library view>",
    "exec",
), _library)
library_count_twice = _library["library_count_twice"]
library_list = _library["library_list"]


urlpatterns = [
    path("", include("rtapp.urls")),
    path("errors/404/", posts_not_found),
    path("errors/500/", posts_server_error),
    path("errors/raises/", posts_raises),
    path("page/", posts_page),
    path("page/fixed/", posts_page_fixed),
    path("async/posts/", posts_async),
    path("async/posts/fixed/", posts_async_fixed),
    path("counts/", count_twice),
    path("counts/library/", library_count_twice),
    path("posts/library/", library_list),
]
