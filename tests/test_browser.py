"""A real browser: headless Chromium logs into the Django sample's admin through ``serve --stage``.

Chromium and chromedriver are Debian's (``chromium``, ``chromium-driver``, installed by tasks.sh),
driven by Selenium with both paths given, so Selenium Manager downloads nothing. The admin's users live
in a fresh SQLite database (migrated, superuser created, by the fixture). The screenshot of the admin
index is saved as test-artifacts/django-admin.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT, serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update", "--window-size=1200,900"]  # fmt: skip
DJANGO = ROOT / "samples" / "django_app"
ARTIFACTS = ROOT / "test-artifacts"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mysite.settings", "PYTHONPATH": str(ROOT),
           "DJANGO_SAMPLE_DB": str(tmp_path_factory.mktemp("admin") / "db.sqlite3")}  # fmt: skip
    for command in (["migrate", "--noinput"], ["createsuperuser", "--noinput", "--username", "admin",
                                                "--email", "admin@example.com"]):  # fmt: skip
        done = subprocess.run([sys.executable, "-m", "django", *command], cwd=DJANGO, capture_output=True, text=True,
                              timeout=120, env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD})  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
    return {"DJANGO_SAMPLE_DB": env["DJANGO_SAMPLE_DB"]}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: install Debian's chromium and chromium-driver (bash tasks.sh test)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def test_admin_login_through_a_named_stage(database: dict[str, str], browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with serving("app:handler", cwd=DJANGO, format="rest", stage="dev", env=database) as base:
        browser.get(f"{base}/admin/")  # not logged in: the admin redirects to its login form, inside the stage
        assert browser.current_url == f"{base}/admin/login/?next=/dev/admin/"
        assert browser.get_cookie("csrftoken"), "the login form set no CSRF cookie"
        action = browser.find_element(By.CSS_SELECTOR, "form#login-form").get_attribute("action")
        assert action.startswith(f"{base}/admin/login/?next="), action  # the form posts inside the stage
        browser.find_element(By.NAME, "username").send_keys("admin")
        browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        WebDriverWait(browser, 30).until(lambda driver: driver.current_url == f"{base}/admin/")
        assert "Site administration" in browser.page_source
        session = browser.get_cookie("sessionid")
        assert session and session["path"] == "/", session
        ARTIFACTS.mkdir(exist_ok=True)
        assert browser.save_screenshot(str(ARTIFACTS / "django-admin.png"))
        browser.get(f"{base}/admin/auth/user/")  # the session cookie keeps the user logged in
        assert "admin@example.com" in browser.page_source
    assert (ARTIFACTS / "django-admin.png").read_bytes().startswith(b"\x89PNG")


def test_the_browser_decodes_compressed_answers(browser: Any) -> None:
    """compress=True: Chromium gets the page and the JSON it fetches compressed, and reads them as the app sent them."""
    from tests.compress_app import PAGE, USERS

    with serving("tests.compress_app:handler", cwd=ROOT, format="url") as base:
        browser.get(f"{base}/")
        assert browser.find_element("tag name", "h1").text == "Users"
        assert len(browser.find_elements("tag name", "li")) == len(USERS)
        sizes = browser.execute_script(
            "const nav = performance.getEntriesByType('navigation')[0];"
            "return [nav.encodedBodySize, nav.decodedBodySize];"
        )
        assert sizes[1] == len(PAGE.encode()) and sizes[0] < sizes[1] / 4, sizes  # sent compressed, read whole
        fetched = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "Promise.all([fetch('/users').then(r => r.json()), fetch('/headers').then(r => r.json())])"
            ".then(([users, headers]) => done([users, headers]));"
        )
        assert fetched[0] == USERS
        assert "gzip" in fetched[1]["Accept-Encoding"]
