"""Models of the offers app."""
from django.db import models


class Offer(models.Model):
    """An offer with an optional image stored on the default storage (S3 in production)."""

    title = models.CharField(max_length=200)
    image = models.FileField(upload_to="offers/", blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.title
