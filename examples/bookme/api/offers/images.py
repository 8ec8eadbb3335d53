"""Reading uploaded images without local paths.

Remote storages (S3) raise NotImplementedError("This backend doesn't support absolute
paths.") from ``.path``. Everything here goes through ``open()``, ``size`` and ``url``,
which every storage implements.
"""


def image_info(field_file):
    """Return ``{"url", "size", "signature"}`` of an uploaded file, or None when the field is empty.

    ``signature`` is the first 8 bytes as hex (enough to tell a PNG from a JPEG), read
    through the storage's ``open()``.
    """
    if not field_file:
        return None
    with field_file.open("rb") as handle:
        head = handle.read(8)
    return {"url": field_file.url, "size": field_file.size, "signature": head.hex()}
