"""A real browser for the tests: Debian's Chromium driven by its own chromedriver (selenium).

Nothing is downloaded: the driver is `/usr/bin/chromedriver` (Selenium Manager never runs) and
the browser starts with a fresh profile and no background networking. Tests that need it take
the session-wide `browser` fixture (tests/conftest.py): skipped when chromedriver is missing on
a developer machine, an error in CI (`CI` set, as `.ci/run` does), where it must run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--mute-audio", "--autoplay-policy=no-user-gesture-required",
         "--window-size=1280,1600")


def available() -> bool:
    return os.path.exists(CHROMEDRIVER) and CHROMIUM is not None


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium under selenium, quit (and its profile removed) afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="capsule-chromium-")
    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = CHROMIUM or "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait(condition: Callable[[], Any], timeout: float = 10.0, what: str = "the page") -> Any:
    """Poll until `condition()` is truthy; its value, or AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def seek(driver: Any, selector: str, seconds: float) -> None:
    """Set a player's currentTime and wait until the seek has finished."""
    driver.execute_script("document.querySelector(arguments[0]).currentTime = arguments[1];",
                          selector, seconds)
    wait(lambda: driver.execute_script(
        "const v = document.querySelector(arguments[0]); return !v.seeking && v.readyState >= 2;",
        selector), what=f"the seek to {seconds} s")


ACTIVE_CUES = """
const v = document.querySelector(arguments[0]);
return Array.from(v.textTracks).map(t => [t.language,
    t.activeCues ? Array.from(t.activeCues).map(c => c.text) : null]);
"""
