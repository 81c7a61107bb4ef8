"""Client credentials and bearer tokens of the Live Face Swap API.

Secrets are stored as scrypt hashes with a per-client salt and compared in constant time; tokens
are random, stored as SHA-256 hashes, and expire. Nothing here logs a secret or a token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from media.rate import RateLimiter
from signaling.live_face_swap_api.codes import ApiCode, ApiError
from signaling.live_face_swap_api.store import Client, SQLiteStore

log = logging.getLogger(__name__)

# Per-token rate limiters kept at once, least recently used first out: bounded memory however many
# tokens are presented (each costs a few hundred bytes).
MAX_LIMITERS = 10_000


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

    async def issue_token(self, client_id: str, secret: str) -> tuple[str, float]:
        if self._registering is not None:
            await asyncio.wait([self._registering])
        client = await self.store.get_client(client_id)
        # hash even for an unknown id, so the answer takes as long either way
        salt = client.salt if client else b"\0" * 16
        digest = await asyncio.to_thread(hash_secret, secret, salt)
        if client is None or not hmac.compare_digest(digest, client.secret_hash):
            raise ApiError(ApiCode.INVALID_TOKEN, "Invalid clientId or clientSecret")
        token = secrets.token_urlsafe(32)
        expires_at = self._clock() + self.token_ttl
        await self.store.put_token(token_hash(token), client_id, expires_at)
        return token, expires_at

    async def authenticate(self, headers: Mapping[str, str]) -> str:
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
        now = self._clock()
        client_id = await self.store.token_client(token_hash(token), now)
        if client_id is None:
            raise ApiError(ApiCode.INVALID_TOKEN, "Invalid or expired token")
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
