"""The load balancer's health check: GET /auth/ping/ answers 200 JSON in every situation it meets."""
from unittest import mock

from django.test import SimpleTestCase, override_settings


class PingTests(SimpleTestCase):
    def assert_ok(self, response):
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(response.json(), {"status": "ok"})

    def test_ping_with_slash(self):
        self.assert_ok(self.client.get("/auth/ping/"))

    def test_ping_without_slash_is_not_a_redirect_loop_or_404(self):
        # The ALB target group probes /auth/ping (matcher 200-399).
        response = self.client.get("/auth/ping")
        self.assertGreaterEqual(response.status_code, 200)
        self.assertLess(response.status_code, 400)

    def test_head_is_answered(self):
        self.assertEqual(self.client.head("/auth/ping/").status_code, 200)

    @override_settings(ALLOWED_HOSTS=["api.example.test"], DEBUG=False)
    def test_probe_by_task_ip_is_not_rejected_by_host_validation(self):
        # The ALB sends Host: <task private IP>:8000, which is not an allowed host.
        self.assert_ok(self.client.get("/auth/ping/", HTTP_HOST="10.0.12.34:8000"))

    @override_settings(SECURE_SSL_REDIRECT=True, DEBUG=False)
    def test_plain_http_probe_is_not_redirected_to_https(self):
        self.assert_ok(self.client.get("/auth/ping/"))

    @override_settings(SECURE_SSL_REDIRECT=True, DEBUG=False)
    def test_other_pages_still_redirect_to_https(self):
        response = self.client.get("/offers/1/")
        self.assertEqual(response.status_code, 301)
        self.assertTrue(response["Location"].startswith("https://"))

    def test_post_is_not_the_health_check(self):
        self.assertEqual(self.client.post("/auth/ping/").status_code, 405)

    def test_ping_names_the_release_baked_into_the_image(self):
        with mock.patch.dict("os.environ", {"BOOKME_RELEASE": "0123456789abcdef0123456789abcdef01234567"}):
            response = self.client.get("/auth/ping/")
        self.assert_ok(response)
        self.assertEqual(response["X-Bookme-Release"], "0123456789abcdef0123456789abcdef01234567")
