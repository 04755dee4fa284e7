"""One launcher of headless Chromium under Selenium for the browser tests (marker ``browser``)."""

from __future__ import annotations

import shutil
from typing import Any

__all__ = ["CHROME_FLAGS", "chromium"]

#: Headless, and none of Chromium's own network traffic (this machine's network is closed).
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium(*, implicit_wait: float = 0, script_timeout: float | None = None) -> Any:
    """A new headless Chromium WebDriver (the caller quits it)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    binary = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if binary:
        options.binary_location = binary
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    if implicit_wait:
        driver.implicitly_wait(implicit_wait)
    if script_timeout is not None:
        driver.set_script_timeout(script_timeout)
    return driver
