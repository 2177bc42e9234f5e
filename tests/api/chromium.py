"""A real headless Chromium (Debian's, through Selenium; nothing downloaded), kept to the hub:
every host name but 127.0.0.1 fails to resolve, and what it loaded and logged can be read."""

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

from tests.support.services import unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 30
LOCAL_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension", "devtools")


def start(profile: Path) -> webdriver.Chrome:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        unavailable(f"headless Chromium needs {CHROMIUM} and {CHROMEDRIVER} (Debian: chromium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,860",
        # The network is the hub: a page that reaches for a CDN finds no host.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    # The console (CSP violations) and the requests the page sent, for the tests to read.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        unavailable(f"headless Chromium does not start: {exc.msg}")
        raise


def csp_violations(driver: webdriver.Chrome) -> list[str]:
    """The console's Content-Security-Policy complaints since the last call."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]


@dataclass(frozen=True)
class Request:
    url: str
    blocked: str | None
    """Chromium's reason when it refused to send it ("csp", …); None: it was sent."""


def requests_made(driver: webdriver.Chrome) -> list[Request]:
    """Every request the browser began since the last call (page, scripts, images, fetches)."""
    urls: dict[str, str] = {}
    blocked: dict[str, str] = {}
    for entry in driver.get_log("performance"):
        message: dict[str, Any] = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked[params["requestId"]] = params["blockedReason"]
    return [Request(url, blocked.get(request_id)) for request_id, url in urls.items()]


def off_host(requests: list[Request], base: str) -> list[Request]:
    """The requests for anywhere but ``base``'s host (local schemes such as data: stay)."""
    host = urlsplit(base).hostname
    return [
        r
        for r in requests
        if urlsplit(r.url).scheme not in LOCAL_SCHEMES and urlsplit(r.url).hostname != host
    ]
