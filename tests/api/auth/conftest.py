"""The page tests' fixtures (a served demo city of its own, Chromium) for the login and
logout browser tests."""

from tests.api.pages.conftest import browser, open_tab, pages_db_url, site  # noqa: F401
