"""Admin registration of the offers app."""
from django.contrib import admin

from offers.models import Offer

admin.site.register(Offer)
