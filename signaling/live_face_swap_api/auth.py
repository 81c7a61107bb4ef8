"""Client credentials and bearer tokens of the Live Face Swap API.

Secrets are stored as scrypt hashes with a per-client salt and compared in constant time; tokens
are random, stored as SHA-256 hashes, and expire. Nothing here logs a secret or a token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from media.rate import AddressLimiter, RateLimiter
from signaling.live_face_swap_api.codes import ApiCode, ApiError
from signaling.live_face_swap_api.store import Client, SQLiteStore

log = logging.getLogger(__name__)

# Per-token rate limiters kept at once, least recently used first out: bounded memory however many
# tokens are presented (each costs a few hundred bytes).
MAX_LIMITERS = 10_000
FREE_SECRET_FAILURES = 5  # wrong client secrets before the back-off starts (per client id, per address)
FREE_TOKEN_FAILURES = 20  # unknown bearer tokens before the back-off starts (per address)
TOKEN_REQUESTS_PER_10S = 10  # getToken calls per address: each costs ~50 ms of scrypt


class FailureBackoff:
    """After `free` failures in a row for a key, each further attempt must wait 1 s, 2 s, 4 s, ...
    (at most `cap`) after the latest failure; a success clears the key. Pure: `now` is passed in;
    keys are bounded (least recently failed forgotten first)."""

    def __init__(self, free: int, cap: float = 60.0, max_keys: int = 10_000) -> None:
        self.free = free
        self.cap = cap
        self.max_keys = max_keys
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # key -> (count, last)

    def wait(self, key: str, now: float) -> float:
        """Seconds `key` must still wait before its next attempt (0: go ahead)."""
        count, last = self._failures.get(key, (0, 0.0))
        if count < self.free:
            return 0.0
        return max(0.0, last + min(self.cap, 2.0 ** (count - self.free)) - now)

    def failed(self, key: str, now: float) -> None:
        count, _ = self._failures.pop(key, (0, 0.0))
        self._failures[key] = (count + 1, now)
        if len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


def throttled(wait: float) -> ApiError:
    return ApiError(ApiCode.TOO_FREQUENT, f"Too many failed attempts; try again in {math.ceil(wait)} s")


def hash_secret(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_clients(text: str) -> list[tuple[str, str]]:
    """`id:secret,id:secret` (commas or new lines) into pairs; ValueError names a bad entry."""
    pairs = []
    for entry in text.replace("\n", ",").split(","):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        client_id, sep, secret = entry.partition(":")
        if not sep or not client_id.strip() or not secret.strip():
            raise ValueError(f"client entry {entry.split(':')[0]!r}... is not id:secret")
        pairs.append((client_id.strip(), secret.strip()))
    return pairs


class ApiAuth:
    """Client credentials, token issue and checks, and the per-token request rate."""

    def __init__(self, store: SQLiteStore, token_ttl: float, requests_per_second: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.token_ttl = token_ttl
        self.rate = requests_per_second
        self._clock = clock
        self._limiters: OrderedDict[str, RateLimiter] = OrderedDict()
        self._registering: asyncio.Task[None] | None = None
        self._secret_failures = FailureBackoff(FREE_SECRET_FAILURES)
        self._token_failures = FailureBackoff(FREE_TOKEN_FAILURES)
        self._token_requests = AddressLimiter(TOKEN_REQUESTS_PER_10S, 10.0)

    def start(self, configured: list[tuple[str, str]]) -> None:
        """Store the configured clients in the background: hashing costs ~50 ms of CPU each, which
        start-up need not wait for. Token requests wait for it (`issue_token`)."""
        self._registering = asyncio.get_running_loop().create_task(self._register(configured))

    async def stop(self) -> None:
        if self._registering is not None and not self._registering.done():
            self._registering.cancel()
            await asyncio.wait([self._registering])

    async def _register(self, configured: list[tuple[str, str]]) -> None:
        try:
            created = await self.ensure_clients(configured)
        except Exception:
            log.exception("storing the API clients failed")
            return
        if created:
            # printed once, at the first start with no clients anywhere; only its hash is stored
            log.warning("created the Live Face Swap API client: clientId=%s clientSecret=%s "
                        "(shown once; keep it)", *created)

    async def add_client(self, client_id: str, secret: str) -> None:
        salt = secrets.token_bytes(16)
        digest = await asyncio.to_thread(hash_secret, secret, salt)
        await self.store.put_client(Client(client_id, digest, salt))

    async def ensure_clients(self, configured: list[tuple[str, str]]) -> tuple[str, str] | None:
        """Store configured pairs; with none anywhere, create one. Returns a created pair (to print once)."""
        for client_id, secret in configured:
            await self.add_client(client_id, secret)
        if configured or await self.store.count_clients() > 0:
            return None
        pair = ("client-" + secrets.token_hex(4), secrets.token_urlsafe(24))
        await self.add_client(*pair)
        return pair

    async def issue_token(self, client_id: str, secret: str, address: str = "") -> tuple[str, float]:
        now = self._clock()
        keys = (f"id:{client_id}", f"addr:{address}")
        wait = max(self._secret_failures.wait(key, now) for key in keys)
        if wait > 0:  # before any hashing: failed guesses cost the server nothing more
            raise throttled(wait)
        if not self._token_requests.allow(address, now):
            raise ApiError(ApiCode.TOO_FREQUENT, "Too many token requests from your address, slow down")
        if self._registering is not None:
            await asyncio.wait([self._registering])
        client = await self.store.get_client(client_id)
        # hash even for an unknown id, so the answer takes as long either way
        salt = client.salt if client else b"\0" * 16
        digest = await asyncio.to_thread(hash_secret, secret, salt)
        if client is None or not hmac.compare_digest(digest, client.secret_hash):
            for key in keys:
                self._secret_failures.failed(key, self._clock())
            raise ApiError(ApiCode.INVALID_TOKEN, "Invalid clientId or clientSecret")
        for key in keys:
            self._secret_failures.succeeded(key)
        token = secrets.token_urlsafe(32)
        expires_at = self._clock() + self.token_ttl
        await self.store.put_token(token_hash(token), client_id, expires_at)
        return token, expires_at

    async def authenticate(self, headers: Mapping[str, str], address: str = "") -> str:
        """The client id behind the request's token (Authorization first, then x-api-key)."""
        auth = headers.get("Authorization", "").strip()
        token = None
        if auth:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise ApiError(ApiCode.INVALID_TOKEN, "Authorization must be 'Bearer <token>'")
            token = value.strip()
        elif headers.get("x-api-key", "").strip():
            token = headers["x-api-key"].strip()
        if token is None:
            raise ApiError(ApiCode.MISSING_AUTH, "Missing Authorization header")
        if not token.isascii():  # tokens are URL-safe base64; other bytes in a header match none
            raise ApiError(ApiCode.INVALID_TOKEN, "Invalid or expired token")
        now = self._clock()
        wait = self._token_failures.wait(address, now)
        if wait > 0:
            raise throttled(wait)
        client_id = await self.store.token_client(token_hash(token), now)
        if client_id is None:
            self._token_failures.failed(address, now)
            raise ApiError(ApiCode.INVALID_TOKEN, "Invalid or expired token")
        self._token_failures.succeeded(address)
        if not self._limiter(token_hash(token)).allow(now):
            raise ApiError(ApiCode.TOO_FREQUENT, "Too many requests, slow down")
        return client_id

    def _limiter(self, key: str) -> RateLimiter:
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter(self.rate)
            if len(self._limiters) > MAX_LIMITERS:
                self._limiters.popitem(last=False)
        else:
            self._limiters.move_to_end(key)
        return limiter
