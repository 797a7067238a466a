"""A Celery app for the integration tests: in-memory broker and results, querysight's task
signals connected (``querysight.celery.connect()``, as a project's Celery module would)."""

from celery import Celery

import querysight.celery
from rtapp.models import Person, Post

app = Celery("querysight_tests", broker="memory://", backend="cache+memory://")
app.conf.update(
    task_always_eager=False,
    task_eager_propagates=False,
    broker_connection_retry_on_startup=False,
    worker_hijack_root_logger=False,
    broker_transport_options={"polling_interval": 0.01},
)
querysight.celery.connect()


@app.task
def authors():
    return [post.author.name for post in Post.objects.all()]


@app.task
def authors_fixed():
    return [post.author.name for post in Post.objects.select_related("author")]


@app.task
def authors_then_fail():
    [post.author.name for post in Post.objects.all()]
    raise ValueError("the task failed")


@app.task
def posts_then_authors():
    """A task that runs another task eagerly in the middle: each has its own scope."""
    counts = [len(list(person.posts.all())) for person in Person.objects.all()]
    names = authors.apply().get()
    return counts, names


@app.task(base=querysight.celery.WatchedTask)
def watched_authors():
    return [post.author.name for post in Post.objects.all()]


@app.task(base=querysight.celery.WatchedTask)
def watched_authors_fixed():
    return [post.author.name for post in Post.objects.select_related("author")]
