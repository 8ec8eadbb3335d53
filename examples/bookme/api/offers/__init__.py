"""Offers app: a model with an uploaded image, read the storage-agnostic way."""
