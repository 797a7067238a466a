"""DRF serializers for scenario 38: a nested serializer, a nested ``many=True`` serializer and a
``SerializerMethodField`` that each read a relation per row."""

from rest_framework import serializers

from .models import Person, Post


class AuthorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "name"]


class PostSerializer(serializers.ModelSerializer):
    author = AuthorSerializer()

    class Meta:
        model = Post
        fields = ["id", "title", "author"]


class TitleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "title"]


class PersonSerializer(serializers.ModelSerializer):
    posts = TitleSerializer(many=True)
    follower_count = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "name", "posts", "follower_count"]

    def get_follower_count(self, person):
        return person.followers.count()
