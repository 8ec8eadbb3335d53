"""collectstatic finds every static file (Debian's Django links the admin's jQuery to libjs-jquery)."""
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import SimpleTestCase, override_settings


class CollectStaticTests(SimpleTestCase):
    def test_collectstatic_copies_the_admin_assets(self):
        with tempfile.TemporaryDirectory() as root, override_settings(STATIC_ROOT=root):
            call_command("collectstatic", interactive=False, verbosity=0, stdout=StringIO())
            self.assertTrue((Path(root) / "admin/js/vendor/jquery/jquery.js").is_file())
            self.assertTrue((Path(root) / "admin/css/base.css").is_file())
