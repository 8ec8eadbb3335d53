"""Uploaded files are read through the storage API, never through .path (S3 has no local paths)."""
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import TestCase, override_settings
from storages.backends.s3boto3 import S3Boto3Storage

from offers.images import image_info
from offers.models import Offer
from tests.pathless import PathlessStorage

PNG_HEAD = b"\x89PNG\r\n\x1a\n"
REMOTE_STORAGES = {
    # No OPTIONS: Django 4.2's override_settings(STORAGES=...) drops them (the real settings keep them).
    "default": {"BACKEND": "tests.pathless.PathlessStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


class RemoteStorageTests(TestCase):
    def test_s3_storage_really_has_no_path(self):
        # The failure the original app met: "This backend doesn't support absolute paths."
        with self.assertRaises(NotImplementedError):
            S3Boto3Storage(bucket_name="book-me-prod-static").path("offers/a.png")

    @override_settings(STORAGES=REMOTE_STORAGES, MEDIA_URL="https://cdn.test/media/")
    def test_offer_image_is_read_without_path(self):
        # override_settings resets the storage handler and the lazy default_storage.
        self.assertIsInstance(storages["default"], PathlessStorage)
        offer = Offer(title="Sea view")
        offer.image.save("sea.png", ContentFile(PNG_HEAD + b"rest-of-image"), save=True)
        with self.assertRaises(NotImplementedError):
            offer.image.path  # noqa: B018 - proves the storage is path-less

        info = image_info(offer.image)
        self.assertEqual(info["signature"], PNG_HEAD.hex())
        self.assertEqual(info["size"], len(PNG_HEAD) + len(b"rest-of-image"))
        self.assertTrue(info["url"].startswith("https://cdn.test/media/offers/sea"), info["url"])

        response = self.client.get(f"/offers/{offer.pk}/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["image"]["signature"], PNG_HEAD.hex())

    def test_offer_without_image(self):
        offer = Offer.objects.create(title="No picture")
        self.assertIsNone(image_info(offer.image))
        self.assertIsNone(self.client.get(f"/offers/{offer.pk}/").json()["image"])
