"""Models for the runtime scenarios (shared/reference/runtime-scenarios.md)."""

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Occupation(models.Model):
    name = models.CharField(max_length=50)


class Category(models.Model):
    name = models.CharField(max_length=50)


class Hobby(models.Model):
    name = models.CharField(max_length=50)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name"]


class Region(models.Model):
    name = models.CharField(max_length=50)


class Store(models.Model):
    name = models.CharField(max_length=50)
    region = models.ForeignKey(Region, on_delete=models.CASCADE)


class Person(models.Model):
    name = models.CharField(max_length=50)
    occupation = models.ForeignKey(Occupation, null=True, blank=True, on_delete=models.SET_NULL)
    # No related_name: the reverse accessor is `hobby.person_set`.
    hobbies = models.ManyToManyField(Hobby, blank=True)
    following = models.ManyToManyField("self", symmetrical=False, related_name="followers", blank=True)
    main_store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    backup_store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = GenericRelation("TaggedItem")

    def __str__(self):
        return self.name


class Profile(models.Model):
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="profile")
    bio = models.CharField(max_length=100, default="")


class Post(models.Model):
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(max_length=100)
    body = models.TextField(default="")
    score = models.IntegerField(default=0)

    class Meta:
        ordering = ["id"]


class Comment(models.Model):
    """No default ordering: ``.first()`` on a prefetched ``post.comments`` queries again."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="comments")
    text = models.CharField(max_length=100, default="")
    approved = models.BooleanField(default=True)


class TaggedItem(models.Model):
    tag = models.CharField(max_length=30)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField(null=True, blank=True)
    content_object = GenericForeignKey("content_type", "object_id")


class Place(models.Model):
    name = models.CharField(max_length=50)
    owner = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL)


class Restaurant(Place):
    serves_pizza = models.BooleanField(default=False)


class Team(models.Model):
    name = models.CharField(max_length=50)


class Customer(models.Model):
    name = models.CharField(max_length=50)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="customers")


class Order(models.Model):
    number = models.IntegerField()
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")


class Badge(models.Model):
    """Equality and hashing read a relation (scenario 20): querysight must not recurse."""

    label = models.CharField(max_length=30)
    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="badges")

    def __eq__(self, other):
        if not isinstance(other, Badge):
            return NotImplemented
        return self.owner.name == other.owner.name and self.label == other.label

    def __hash__(self):
        return hash((self.owner.name, self.label))
