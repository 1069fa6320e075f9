"""Headless Chromium (Debian's package) driven by Playwright against the live test server."""

import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Generous waits: a CI machine with two CPUs running the live server, the database and the
# browser at once can take seconds for a step that takes milliseconds on a desk. They are
# upper bounds, not delays: a passing step moves on as soon as it can.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # An English browser on purpose: the platform answers in Chinese whatever the browser asks.
    context = browser.new_context(locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()
