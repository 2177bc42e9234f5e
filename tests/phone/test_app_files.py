"""The page's app files: a valid web app manifest with its icons, the service worker served
from /m/ (so that it may control the page), strict headers on all of them."""

import io

from PIL import Image


def test_the_page_links_a_valid_manifest_whose_icons_exist(client):
    page = client.get("/m/")
    assert page.status_code == 200
    assert '<link rel="manifest" href="/m/manifest.webmanifest">' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    response = client.get("/m/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["start_url"] == "/m/" and manifest["scope"] == "/m/"
    assert manifest["display"] == "standalone" and manifest["name"]
    sizes = set()
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200 and image.headers["content-type"] == icon["type"]
        width, height = Image.open(io.BytesIO(image.content)).size
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes  # what browsers ask of an installable app


def test_the_service_worker_is_served_from_the_pages_own_path(client):
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["cache-control"] == "no-cache"
    # Every file it keeps for offline use is one the hub serves.
    kept = [line.strip().strip('",') for line in worker.text.split("const APP = [")[1]
            .split("];")[0].splitlines() if line.strip()]  # fmt: skip
    assert "/m/" in kept and "/static/m/app.js" in kept
    for path in kept:
        assert client.get(path).status_code == 200, path
