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
from dataclasses import dataclass

from aiohttp import web

from media.rate import RateLimiter
from signaling.store import Client, Store

log = logging.getLogger(__name__)

OK = 1000
PARAM_ERROR = 1003
TOO_FREQUENT = 1005
INVALID_TOKEN = 1101
MISSING_AUTH = 1102
TOO_MANY_SESSIONS = 1106  # ours: the per-client or total cap on live sessions is reached

_MAX_LIMITERS = 10_000


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


@dataclass
class Denied(Exception):
    code: int
    msg: str


class ApiAuth:
    def __init__(self, store: Store, token_ttl: float, requests_per_second: float) -> None:
        self.store = store
        self.token_ttl = token_ttl
        self.rate = requests_per_second
        self._limiters: OrderedDict[str, RateLimiter] = OrderedDict()

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
        client = await self.store.get_client(client_id)
        # hash even for an unknown id, so the answer takes as long either way
        salt = client.salt if client else b"\0" * 16
        digest = await asyncio.to_thread(hash_secret, secret, salt)
        if client is None or not hmac.compare_digest(digest, client.secret_hash):
            raise Denied(INVALID_TOKEN, "Invalid clientId or clientSecret")
        token = secrets.token_urlsafe(32)
        expires_at = time.time() + self.token_ttl
        await self.store.put_token(token_hash(token), client_id, expires_at)
        return token, expires_at

    async def authenticate(self, request: web.Request) -> str:
        """The client id behind the request's token (Authorization first, then x-api-key)."""
        auth = request.headers.get("Authorization", "").strip()
        token = None
        if auth:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise Denied(INVALID_TOKEN, "Authorization must be 'Bearer <token>'")
            token = value.strip()
        elif request.headers.get("x-api-key", "").strip():
            token = request.headers["x-api-key"].strip()
        if token is None:
            raise Denied(MISSING_AUTH, "Missing Authorization header")
        client_id = await self.store.token_client(token_hash(token), time.time())
        if client_id is None:
            raise Denied(INVALID_TOKEN, "Invalid or expired token")
        if not self._limiter(token_hash(token)).allow():
            raise Denied(TOO_FREQUENT, "Too many requests, slow down")
        return client_id

    def _limiter(self, key: str) -> RateLimiter:
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = self._limiters[key] = RateLimiter(self.rate)
            if len(self._limiters) > _MAX_LIMITERS:
                self._limiters.popitem(last=False)
        else:
            self._limiters.move_to_end(key)
        return limiter
