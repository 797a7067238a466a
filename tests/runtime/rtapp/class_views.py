"""Class-based views: a ``ListView`` over a template (scenario 37) and DRF list endpoints
(scenario 38)."""

from django.views.generic import ListView
from rest_framework import generics

from .models import Person, Post
from .serializers import PersonSerializer, PostSerializer


class PostListView(ListView):
    template_name = "rtapp/post_list.html"

    def get_queryset(self):
        return Post.objects.order_by("title")


class PostListAPI(generics.ListAPIView):
    serializer_class = PostSerializer

    def get_queryset(self):
        return Post.objects.all()


class PersonListAPI(generics.ListAPIView):
    serializer_class = PersonSerializer

    def get_queryset(self):
        return Person.objects.all()
