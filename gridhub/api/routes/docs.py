"""The API's documentation, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), from the hub's own
copies of their assets (``static/vendor/``): no CDN, so they work offline."""

import secrets
from collections.abc import Callable
from html import escape

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from gridhub.api.headers import content_security_policy, inline_hashes

VENDOR = "/static/vendor"
FAVICON = f"{VENDOR}/swagger-ui/favicon-32x32.png"

# ReDoc's styles are <style> elements it adds as it renders; they carry the page's nonce,
# which ReDoc takes only as an option, so its set-up is an external script reading it.
# Its search index runs in a worker made from a blob.
REDOC_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{favicon}">
</head>
<body>
<div id="redoc"></div>
<script src="{vendor}/redoc/redoc.standalone.js"></script>
<script src="/static/js/redoc-init.js" nonce="{nonce}" data-spec="{openapi_url}"></script>
</body>
</html>
"""
REDOC_LOAD_STYLES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)
"""The <style> ReDoc 2.5.4 adds as it loads, before it knows the nonce (empty, then holding
perfect-scrollbar's CSS). The /redoc browser test names any a new version adds."""


def mount(app: FastAPI) -> None:
    """Add both pages to ``app``, built with ``docs_url=None, redoc_url=None``."""
    if app.openapi_url is None:
        raise ValueError("the API docs need the OpenAPI schema (openapi_url)")
    title = f"{app.title} API"
    swagger = get_swagger_ui_html(
        openapi_url=app.openapi_url,
        title=title,
        swagger_js_url=f"{VENDOR}/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{VENDOR}/swagger-ui/swagger-ui.css",
        swagger_favicon_url=FAVICON,
    )
    app.add_api_route("/docs", _swagger(bytes(swagger.body).decode()), include_in_schema=False)
    app.add_api_route("/redoc", _redoc(title, app.openapi_url), include_in_schema=False)


def _swagger(html: str) -> Callable[[], HTMLResponse]:
    """FastAPI writes Swagger UI's set-up as an inline script: the policy allows exactly
    that script, by its hash."""
    scripts, styles = inline_hashes(html)
    headers = {"Content-Security-Policy": content_security_policy(scripts=scripts, styles=styles)}

    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)

    return swagger_ui


def _redoc(title: str, openapi_url: str) -> Callable[[], HTMLResponse]:
    def redoc() -> HTMLResponse:
        nonce = secrets.token_urlsafe(18)
        html = REDOC_PAGE.format(
            title=escape(title),
            favicon=FAVICON,
            vendor=VENDOR,
            nonce=nonce,
            openapi_url=escape(openapi_url),
        )
        csp = content_security_policy(
            styles=[f"'nonce-{nonce}'", *REDOC_LOAD_STYLES], workers=["blob:"]
        )
        return HTMLResponse(
            html, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"}
        )

    return redoc
