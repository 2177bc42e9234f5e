"""How many reports one address, one phone number or one API key may file: ``limits``' rate
strings (``5/hour;20/day``) and fixed windows, counted in the store."""

import hashlib
import hmac
import math
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.orm import Session, sessionmaker

from gridhub.config.reports import LimitsConfig
from gridhub.reports.limit_storage import StoreStorage


class RateLimited(Exception):
    """Too many reports: the message says whose limit, and ``retry_after_s`` when to retry."""

    def __init__(self, what: str, rate: RateLimitItem, retry_after_s: int) -> None:
        super().__init__(f"too many reports from this {what} (at most {rate}); try again later")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Caller:
    """Who files: an address and maybe a phone number, or a trusted client's API key."""

    address: str | None = None
    phone: str | None = None
    api_key_id: int | None = None

    def identities(self) -> list[tuple[str, str]]:
        if self.api_key_id is not None:
            return [("api_key", str(self.api_key_id))]
        found = [("address", self.address or "unknown")]
        if self.phone:
            found.append(("phone", self.phone))
        return found


class RateLimits:
    """``take(caller)`` counts one report against each of the caller's limits, or raises
    RateLimited and counts nothing. Addresses and phone numbers are kept only as keyed hashes."""

    def __init__(self, config: LimitsConfig, sessions: sessionmaker[Session], secret: str) -> None:
        self.storage = StoreStorage(sessions)
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.rates = {
            "address": parse_many(config.per_address),
            "phone": parse_many(config.per_phone),
            "api_key": parse_many(config.per_key),
        }
        self._key = secret.encode()

    def take(self, caller: Caller) -> None:
        keyed = [(what, self._hash(what, who)) for what, who in caller.identities()]
        for what, key in keyed:  # first every limit, so a refusal counts against none
            for rate in self.rates[what]:
                if not self.limiter.test(rate, "report", key):
                    raise RateLimited(what.replace("_", " "), rate, self._retry(rate, key))
        for what, key in keyed:
            for rate in self.rates[what]:
                if not self.limiter.hit(rate, "report", key):  # another process won the race
                    raise RateLimited(what.replace("_", " "), rate, self._retry(rate, key))

    def _hash(self, what: str, who: str) -> str:
        return hmac.new(self._key, f"{what}:{who}".encode(), hashlib.sha256).hexdigest()[:40]

    def _retry(self, rate: RateLimitItem, key: str) -> int:
        reset = self.limiter.get_window_stats(rate, "report", key).reset_time
        return max(1, math.ceil(reset - self.storage.clock()))
