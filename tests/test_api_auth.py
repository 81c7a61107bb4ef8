"""API credentials and tokens on a fake clock, with a real in-memory store: expiry, rate, headers."""

from __future__ import annotations

import pytest

from signaling.live_face_swap_api.auth import ApiAuth, parse_clients
from signaling.live_face_swap_api.codes import ApiCode, ApiError
from signaling.live_face_swap_api.store import SQLiteStore
from testing.fakes import FakeClock


@pytest.fixture
async def auth():
    clock = FakeClock(1_700_000_000.0)
    store = SQLiteStore(":memory:")
    auth = ApiAuth(store, token_ttl=60.0, requests_per_second=3, clock=clock)
    await auth.add_client("tester", "s3cret")
    yield auth, clock
    await store.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def code_of(coro) -> ApiCode:
    with pytest.raises(ApiError) as caught:
        await coro
    return caught.value.code


async def test_a_token_works_until_its_ttl_then_reads_invalid(auth):
    api, clock = auth
    token, expires_at = await api.issue_token("tester", "s3cret")
    assert expires_at == clock.now + 60
    clock.advance(59)
    assert await api.authenticate(bearer(token)) == "tester"
    clock.advance(2)
    assert await code_of(api.authenticate(bearer(token))) is ApiCode.INVALID_TOKEN


async def test_wrong_or_unknown_credentials_get_no_token(auth):
    api, _ = auth
    assert await code_of(api.issue_token("tester", "wrong")) is ApiCode.INVALID_TOKEN
    assert await code_of(api.issue_token("nobody", "s3cret")) is ApiCode.INVALID_TOKEN


async def test_more_requests_than_the_rate_in_one_second_get_1005(auth):
    api, clock = auth
    token, _ = await api.issue_token("tester", "s3cret")
    for _ in range(3):
        await api.authenticate(bearer(token))
    assert await code_of(api.authenticate(bearer(token))) is ApiCode.TOO_FREQUENT
    clock.advance(1.0)
    assert await api.authenticate(bearer(token)) == "tester"


async def test_headers_authorization_wins_over_x_api_key(auth):
    api, _ = auth
    token, _ = await api.issue_token("tester", "s3cret")
    assert await api.authenticate({"x-api-key": token}) == "tester"
    assert await code_of(api.authenticate({"Authorization": "Bearer bad", "x-api-key": token})) \
        is ApiCode.INVALID_TOKEN
    assert await code_of(api.authenticate({})) is ApiCode.MISSING_AUTH
    assert await code_of(api.authenticate({"Authorization": "Basic abc"})) is ApiCode.INVALID_TOKEN


def test_client_lists_name_a_bad_entry():
    assert parse_clients("a:1, b:2\n# note\nc:3") == [("a", "1"), ("b", "2"), ("c", "3")]
    with pytest.raises(ValueError, match="'broken'"):
        parse_clients("a:1,broken")


async def test_wrong_secrets_in_a_row_back_off_before_any_hashing(auth, monkeypatch):
    api, clock = auth
    hashed: list[str] = []
    from signaling.live_face_swap_api import auth as auth_module

    real = auth_module.hash_secret

    def counting(secret: str, salt: bytes) -> bytes:
        hashed.append(secret)
        return real(secret, salt)

    monkeypatch.setattr(auth_module, "hash_secret", counting)
    for _ in range(5):  # five wrong guesses are free
        assert await code_of(api.issue_token("tester", "guess", "198.51.100.7")) is ApiCode.INVALID_TOKEN
    hashed.clear()
    # from now on the client id waits, even with the right secret and from another address
    assert await code_of(api.issue_token("tester", "s3cret", "203.0.113.9")) is ApiCode.TOO_FREQUENT
    assert hashed == [], "a throttled attempt still ran scrypt"
    clock.advance(1.1)
    token, _ = await api.issue_token("tester", "s3cret", "203.0.113.9")  # a success clears the back-off
    assert token


async def test_unknown_bearer_tokens_from_one_address_back_off(auth):
    api, _ = auth
    for _ in range(20):
        assert await code_of(api.authenticate(bearer("nope"), "198.51.100.7")) is ApiCode.INVALID_TOKEN
    assert await code_of(api.authenticate(bearer("nope"), "198.51.100.7")) is ApiCode.TOO_FREQUENT
    token, _ = await api.issue_token("tester", "s3cret", "203.0.113.9")
    assert await api.authenticate(bearer(token), "203.0.113.9") == "tester"  # other addresses go on


async def test_token_requests_per_address_are_rate_limited(auth):
    api, clock = auth
    for _ in range(10):
        await api.issue_token("tester", "s3cret", "198.51.100.7")
    assert await code_of(api.issue_token("tester", "s3cret", "198.51.100.7")) is ApiCode.TOO_FREQUENT
    clock.advance(10.1)
    assert await api.issue_token("tester", "s3cret", "198.51.100.7")
