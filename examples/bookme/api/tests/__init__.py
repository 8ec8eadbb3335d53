"""Tests of the book_me reference API: ``python3 manage.py test`` from the api/ folder."""
