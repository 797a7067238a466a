"""Code under test called by the tests of test_false_positives.py: a module that is not a test
module, as an application's services are."""

from rtapp.models import Person


def person_name(pk):
    return Person.objects.get(pk=pk).name


def person_names(pks):
    return [person_name(pk) for pk in pks]


def count_people():
    return Person.objects.count()


def count_people_twice():
    return count_people(), count_people()


def author_name(post):
    return post.author.name
