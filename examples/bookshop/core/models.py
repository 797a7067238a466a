from django.db import models


class TimeStampedModel(models.Model):
    """Abstract base: every concrete child gets its own `created` and `modified` columns."""

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
