"""URL routes of the book_me reference API."""
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("auth/", include("accounts.urls")),
    path("offers/", include("offers.urls")),
]
