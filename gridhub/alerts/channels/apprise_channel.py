"""Notification URLs through apprise: DingTalk, WeCom, e-mail, an SMS gateway's HTTP API…"""

import logging
from collections.abc import Sequence
from typing import Any

import apprise

from gridhub.alerts.channels import Outgoing, first_line


class AppriseChannel:
    name = "apprise"
    chunk = 1
    workers = 8

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s

    def send_many(self, items: Sequence[Outgoing]) -> list[str | None]:
        return [self._notify(url, payload) for url, payload in items]

    def _notify(self, url: str, payload: dict[str, Any]) -> str | None:
        plugin = apprise.Apprise.instantiate(url)
        if plugin is None:
            return "not a notification URL apprise understands"
        # The delivery's send timeout bounds each socket step; a URL's own cto=/rto= may be lower.
        plugin.socket_connect_timeout = min(plugin.socket_connect_timeout, self.timeout_s)
        plugin.socket_read_timeout = min(plugin.socket_read_timeout, self.timeout_s)
        service = apprise.Apprise()
        service.add(plugin)
        errors: list[str] = []

        def collect(entry: Any, _plugin: Any = None) -> None:
            errors.append(getattr(entry, "message", str(entry)))  # warnings and errors only

        try:
            ok = service.notify(
                body=payload.get("body", ""),
                title=payload.get("title", ""),
                log_callback=collect,
                log_level=logging.WARNING,
            )
        except Exception as exc:  # a plugin bug must not stop the dispatcher
            return first_line(exc)
        if ok:
            return None
        return "; ".join(errors)[:500] or "notification failed"
