"""Webhook channel: the JSON body, signed with HMAC-SHA256 under the webhook's secret."""

import hashlib
import hmac
from collections.abc import Sequence

import httpx
import orjson

from gridhub.alerts.channels import Outgoing, first_line
from gridhub.config.alerts import WebhookConfig

SIGNATURE_HEADER = "X-Gridhub-Signature"


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>`` of ``body``: receivers recompute it to trust the message."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    name = "webhook"
    chunk = 1
    workers = 8

    def __init__(self, webhooks: Sequence[WebhookConfig], timeout_s: float = 10.0) -> None:
        self.secrets = {str(hook.url): hook.secret.get_secret_value() for hook in webhooks}
        self.client = httpx.Client(timeout=timeout_s, trust_env=False)

    def send_many(self, items: Sequence[Outgoing]) -> list[str | None]:
        return [self._post(url, payload) for url, payload in items]

    def _post(self, url: str, payload: dict) -> str | None:
        secret = self.secrets.get(url)
        if secret is None:
            return f"no webhook configured for {url} any more"
        body = orjson.dumps(payload)
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return first_line(exc)
        if response.is_success:
            return None
        return f"HTTP {response.status_code}: {response.text[:200]}"

    def close(self) -> None:
        self.client.close()
