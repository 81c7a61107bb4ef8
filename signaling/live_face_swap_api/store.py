"""Persistent records of the Live Face Swap API: clients, tokens, live sessions, uploaded images.

One SQLite file (a path setting). SQLite calls run on one dedicated thread, so the event loop never
waits on the disk and the connection is only ever used from the thread that made it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from signaling.live_face_swap_api.lifecycle import SessionStatus

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    client_id TEXT PRIMARY KEY, secret_hash BLOB NOT NULL, salt BLOB NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, record TEXT NOT NULL, status INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_client ON sessions (client_id, status);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, data BLOB NOT NULL, created_at REAL NOT NULL
);
"""


@dataclass
class Client:
    client_id: str
    secret_hash: bytes
    salt: bytes


@dataclass
class SessionRecord:
    id: str
    client_id: str
    status: SessionStatus
    msg: str
    channel_id: str
    front_user_id: str
    front_rtc_token: str
    source_images: list[dict[str, str]]  # as the client gave them: {"path", "opts"[, "person"]}
    created_at: float
    updated_at: float
    expires_at: float

    @classmethod
    def from_json(cls, text: str) -> SessionRecord:
        fields = json.loads(text)
        fields.pop("extra", None)  # written by earlier versions, never used
        fields["status"] = SessionStatus(fields["status"])
        return cls(**fields)


class SQLiteStore:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")
        self._db: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        return self._db

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def job() -> T:
            db = self._open()
            with db:  # one transaction per call
                return fn(db)

        return await asyncio.get_running_loop().run_in_executor(self._pool, job)

    # -- clients and tokens -------------------------------------------------------------------
    async def get_client(self, client_id: str) -> Client | None:
        row = await self._run(lambda db: db.execute(
            "SELECT client_id, secret_hash, salt FROM clients WHERE client_id = ?", (client_id,)).fetchone())
        return Client(*row) if row else None

    async def put_client(self, client: Client) -> None:
        await self._run(lambda db: db.execute(
            "INSERT OR REPLACE INTO clients VALUES (?, ?, ?, ?)",
            (client.client_id, client.secret_hash, client.salt, time.time())))

    async def count_clients(self) -> int:
        return await self._run(lambda db: db.execute("SELECT COUNT(*) FROM clients").fetchone()[0])

    async def put_token(self, token_hash: str, client_id: str, expires_at: float) -> None:
        def put(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM tokens WHERE expires_at < ?", (time.time(),))
            db.execute("INSERT INTO tokens VALUES (?, ?, ?)", (token_hash, client_id, expires_at))

        await self._run(put)

    async def token_client(self, token_hash: str, now: float) -> str | None:
        row = await self._run(lambda db: db.execute(
            "SELECT client_id FROM tokens WHERE token_hash = ? AND expires_at > ?", (token_hash, now)
        ).fetchone())
        return row[0] if row else None

    # -- sessions -----------------------------------------------------------------------------
    async def put_session(self, record: SessionRecord) -> None:
        body = json.dumps(asdict(record))
        await self._run(lambda db: db.execute(
            "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?, ?)",
            (record.id, record.client_id, body, int(record.status), record.expires_at)))

    async def get_session(self, session_id: str) -> SessionRecord | None:
        row = await self._run(lambda db: db.execute(
            "SELECT record FROM sessions WHERE id = ?", (session_id,)).fetchone())
        return SessionRecord.from_json(row[0]) if row else None

    async def sessions_with_status(self, statuses: tuple[SessionStatus, ...]) -> list[SessionRecord]:
        marks = ",".join("?" * len(statuses))
        rows = await self._run(lambda db: db.execute(
            f"SELECT record FROM sessions WHERE status IN ({marks})", [int(s) for s in statuses]).fetchall())
        return [SessionRecord.from_json(r[0]) for r in rows]

    # -- uploaded images ----------------------------------------------------------------------
    async def put_image(self, image_id: str, client_id: str, data: bytes) -> None:
        await self._run(lambda db: db.execute(
            "INSERT INTO images VALUES (?, ?, ?, ?)", (image_id, client_id, data, time.time())))

    async def get_image(self, image_id: str) -> tuple[str, bytes] | None:
        row = await self._run(lambda db: db.execute(
            "SELECT client_id, data FROM images WHERE id = ?", (image_id,)).fetchone())
        return (row[0], row[1]) if row else None

    async def count_images(self, client_id: str) -> int:
        return await self._run(lambda db: db.execute(
            "SELECT COUNT(*) FROM images WHERE client_id = ?", (client_id,)).fetchone()[0])

    async def close(self) -> None:
        def shut() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._pool, shut)
        self._pool.shutdown(wait=True)
