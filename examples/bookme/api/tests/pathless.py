"""A test storage that, like S3, has no local paths."""
import os

from django.core.files.storage import InMemoryStorage
from django.utils._os import safe_join


class PathlessStorage(InMemoryStorage):
    """InMemoryStorage whose public ``path()`` raises exactly what S3Boto3Storage raises.

    InMemoryStorage resolves names through ``path()`` internally, so that internal use
    is redirected to ``_relative_path``; callers outside the storage see no paths.
    """

    def _relative_path(self, name):
        return os.path.relpath(safe_join(self.location, name), self.location)

    def path(self, name):
        raise NotImplementedError("This backend doesn't support absolute paths.")
