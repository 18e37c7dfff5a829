"""Abuse limits for login and token refresh: moving windows per account and per client address.

Built on the maintained `limits` library. Storage: Redis when `RATELIMIT_STORAGE_URL` (or
`REDIS_URL`) is set, shared by every web process; otherwise `memory://`, which is shared by the
threads of one process — right for the embedded default (one process), not for several
gunicorn workers (each would count on its own: set a Redis URL there).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.errors import RateLimited

# Human texts of this module (one place, to be wrapped for translation).
TOO_MANY_LOGINS = "Too many failed logins; try again later."
TOO_MANY_REFRESHES = "Too many token refreshes from your address; try again later."

_storages: dict[str, Storage] = {}
_storages_lock = threading.Lock()


def _storage(url: str) -> Storage:
    """One storage per URL per process (a memory storage must be shared to count at all)."""
    with _storages_lock:
        if url not in _storages:
            _storages[url] = storage_from_string(url)
        return _storages[url]


@dataclass(frozen=True)
class LoginThrottle:
    """Failed logins per account and per address, and refreshes per address, in moving
    windows. A key over its limit is refused — the right password included — until the oldest
    counted attempt leaves the window."""

    storage_url: str
    account_limit: int
    address_limit: int
    refresh_limit: int
    window_seconds: int

    @property
    def _limiter(self) -> MovingWindowRateLimiter:
        return MovingWindowRateLimiter(_storage(self.storage_url))

    def _item(self, amount: int, namespace: str) -> RateLimitItem:
        return RateLimitItemPerSecond(amount, self.window_seconds, namespace=namespace)

    def _keys(self, account: str, address: str) -> list[tuple[RateLimitItem, str]]:
        return [(self._item(self.account_limit, "fieldops-login-account"), account),
                (self._item(self.address_limit, "fieldops-login-address"), address)]

    def refuse_if_exhausted(self, *, account: str, address: str) -> None:
        """429 with the seconds to wait when the account or the address used up its window."""
        for item, key in self._keys(account, address):
            if not self._limiter.test(item, key):
                raise RateLimited(TOO_MANY_LOGINS, error="too_many_attempts",
                                  retry_after_seconds=self._retry_after(item, key))

    def record_failure(self, *, account: str, address: str) -> None:
        for item, key in self._keys(account, address):
            self._limiter.hit(item, key)

    def count_refresh(self, *, address: str) -> None:
        """Count one refresh from this address; refuse beyond the limit."""
        item = self._item(self.refresh_limit, "fieldops-refresh-address")
        if not self._limiter.hit(item, address):
            raise RateLimited(TOO_MANY_REFRESHES, error="too_many_attempts",
                              retry_after_seconds=self._retry_after(item, address))

    def _retry_after(self, item: RateLimitItem, key: str) -> int:
        reset_at = self._limiter.get_window_stats(item, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))


def throttle_from_config(config: Mapping[str, Any]) -> LoginThrottle:
    return LoginThrottle(
        storage_url=config["RATELIMIT_STORAGE_URL"],
        account_limit=config["LOGIN_FAILURES_PER_ACCOUNT"],
        address_limit=config["LOGIN_FAILURES_PER_ADDRESS"],
        refresh_limit=config["TOKEN_REFRESHES_PER_ADDRESS"],
        window_seconds=config["LOGIN_WINDOW_SECONDS"],
    )
