"""Security headers on every response the hub serves: pages, static files and the API.

The Content-Security-Policy lets a page load only what the hub itself serves (plus the
configured tile host's images): no inline script or style, no framing. It is what still
holds if untrusted text ever slips into markup.
"""

import base64
import hashlib
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_SOURCE = re.compile(
    r"^(https?://)?((\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]+)?$", re.ASCII
)
"""A host source as CSP writes it; anything else could smuggle directives into the header."""


class TileSourceError(ValueError):
    """A ``dashboard.tile_url`` whose host cannot be named in a Content-Security-Policy."""


def tile_sources(tile_url: str) -> tuple[str, ...]:
    """The CSP source that allows ``tile_url``'s images; none when the hub serves them.

    A placeholder in the host (Leaflet's ``{s}`` subdomains) becomes a ``*.`` wildcard.
    """
    parts = urlsplit(tile_url)
    if not parts.netloc:
        return ()  # no tiles, or a path on the hub itself: 'self'
    labels = parts.netloc.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    host = ".".join(["*", *labels[templated[-1] + 1 :]]) if templated else parts.netloc
    source = f"{parts.scheme}://{host}" if parts.scheme else host
    if not _SOURCE.match(source):
        raise TileSourceError(
            f"dashboard.tile_url {tile_url!r}: its host {parts.netloc!r} cannot be allowed "
            "by the Content-Security-Policy; give a plain http(s)://host[:port]/… template"
        )
    return (source,)


def content_security_policy(
    img_sources: Iterable[str] = (),
    scripts: Iterable[str] = (),
    styles: Iterable[str] = (),
    workers: Iterable[str] = (),
) -> str:
    """The policy: only the hub's own files; images also from ``img_sources``, the inline
    scripts and styles that ``scripts`` and ``styles`` name (by hash or nonce), and workers
    from ``workers``."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *scripts],
        "style-src": ["'self'", *styles],
        "img-src": ["'self'", "data:", "blob:", *img_sources],
        "worker-src": ["'self'", *workers],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def inline_hashes(html: str) -> tuple[list[str], list[str]]:
    """The CSP sources allowing ``html``'s own inline scripts and styles: for pages that a
    library writes that way (Swagger UI's set-up script)."""
    parser = _InlineElements()
    parser.feed(html)
    parser.close()
    return [_hash(text) for text in parser.scripts], [_hash(text) for text in parser.styles]


def security_headers(csp: str) -> dict[str, str]:
    """The headers every response carries, with ``csp`` as its Content-Security-Policy."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


class SecurityHeaders:
    """ASGI middleware: adds ``headers`` to each HTTP response that does not set them.

    A route may send its own Content-Security-Policy (the docs pages allow their inline
    script by hash). Plain ASGI rather than ``BaseHTTPMiddleware``, so the live event stream
    passes through untouched.
    """

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def protect(app: FastAPI, img_sources: Iterable[str] = ()) -> None:
    """Give every response of ``app`` the headers, the 500 of an unhandled error included.

    Starlette answers an unhandled error outside all user middleware, with the handler
    registered for ``Exception``: that handler sets the headers itself.
    """
    headers = security_headers(content_security_policy(img_sources))
    app.add_middleware(SecurityHeaders, headers=headers)

    async def server_error(_request: Request, _exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("Internal Server Error", status_code=500, headers=headers)

    app.add_exception_handler(Exception, server_error)


class _InlineElements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._open: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style" or (tag == "script" and not dict(attrs).get("src")):
            self._open = self.styles if tag == "style" else self.scripts
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag in ("script", "style"):
            self._open.append("".join(self._text))
            self._open = None


def _hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"
