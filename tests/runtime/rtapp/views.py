from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from .models import Person, Post


def post_list(request):
    return JsonResponse({"posts": [[p.title, p.author.name] for p in Post.objects.all()]})


def post_list_fixed(request):
    posts = Post.objects.select_related("author")
    return JsonResponse({"posts": [[p.title, p.author.name] for p in posts]})


def post_detail(request, pk):
    post = get_object_or_404(Post, pk=pk)
    return JsonResponse({"title": post.title, "author": post.author.name})


def post_list_template(request):
    return render(request, "rtapp/posts.html", {"posts": Post.objects.all()})


def people_hobbies(request):
    people = Person.objects.prefetch_related("hobbies")
    return render(request, "rtapp/people_hobbies.html", {"people": people})


def people_names(request, status):
    """Selects each person's occupation and never reads it, then answers with ``status``."""
    people = Person.objects.select_related("occupation")
    return JsonResponse({"people": [p.name for p in people]}, status=status)


def people_names_raises(request):
    people = Person.objects.select_related("occupation")
    [p.name for p in people]
    raise RuntimeError("the view failed")
