"""Fetching an image URL on a client's behalf without letting the client reach inside our network.

Only http(s). The decision is made on the address actually connected to: every socket the fetcher
opens is created by `guarded_socket`, which refuses private, loopback, link-local, multicast,
reserved and unspecified addresses unless the allow-list contains them; so no spelling of a host
(IP literals in odd forms, Unicode digits that the HTTP client normalises, names that resolve
inward, DNS answers that change between check and use) and no redirect can get round it. Hosts are
read as aiohttp itself reads them (yarl), and a host written in non-ASCII characters that stands
for an IP address is refused outright. Redirects are followed by hand (at most 3); size and time are
capped. Failures to fetch all read alike, so the fetcher cannot be used to tell open ports from
closed ones.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from typing import Any

import aiohttp
import yarl

MAX_REDIRECTS = 3
COULD_NOT_FETCH = "could not fetch the image"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchRefused(ValueError):
    """The URL may not be fetched, or fetching it failed; the message says why."""


class _RefusedAddress(OSError):
    """Raised inside the socket factory; turned into FetchRefused by the fetcher."""


def parse_allow_list(entries: Iterable[str]) -> tuple[set[str], list[Network]]:
    """Host names, and addresses or networks, from the allow-list setting's entries."""
    hosts: set[str] = set()
    nets: list[Network] = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return hosts, nets


def forbidden(ip: Address) -> str | None:
    """Why an address must not be fetched from, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for test, what in (
        (ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"), (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"), (ip.is_reserved, "reserved"), (ip.is_private, "private"),
    ):
        if test:
            return what
    return None


def ip_literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class SafeFetcher:
    def __init__(self, allow_list: Iterable[str], max_bytes: int, timeout_s: float) -> None:
        self.allow_hosts, self.allow_nets = parse_allow_list(allow_list)
        self.max_bytes = max_bytes
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    def check_address(self, ip: Address, also_allowed: AbstractSet[Address] = frozenset()) -> None:
        why = forbidden(ip)
        if why and ip not in also_allowed and not any(ip in net for net in self.allow_nets):
            raise FetchRefused(f"the image URL points to a {why} address; not fetched")

    def socket_factory(self, also_allowed: set[Address]) -> Callable[[Any], socket.socket]:
        """aiohttp's socket factory for one fetch: the last word on every connection it makes."""

        def guarded_socket(addr_info: Any) -> socket.socket:
            family, kind, proto, _, sockaddr = addr_info
            try:
                self.check_address(ipaddress.ip_address(sockaddr[0]), also_allowed)
            except FetchRefused as exc:
                raise _RefusedAddress(str(exc)) from None
            return socket.socket(family, kind, proto)

        return guarded_socket

    async def _allow_named(self, host: str, into: set[Address]) -> None:
        """A host the allow-list names may be inward: admit the addresses it resolves to now."""
        if host.lower().rstrip(".") not in self.allow_hosts:
            return
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError:
            return
        into.update(ipaddress.ip_address(info[4][0]) for info in infos)

    def check_url(self, url: str) -> yarl.URL:
        """The URL as aiohttp will read it, if it may be fetched; FetchRefused saying why not."""
        try:
            parsed = yarl.URL(url)
        except (ValueError, TypeError):
            raise FetchRefused("the image URL is not a valid URL") from None
        if parsed.scheme not in ("http", "https"):
            raise FetchRefused(f"only http and https URLs are fetched, not {parsed.scheme or 'none'!r}")
        host = parsed.host
        if not host:
            raise FetchRefused("the image URL has no host")
        if parsed.user or parsed.password:
            raise FetchRefused("URLs with credentials are not fetched")
        ip = ip_literal(host)
        raw_netloc = url.split("://", 1)[-1].split("/", 1)[0]
        if ip is not None and not raw_netloc.isascii():
            raise FetchRefused("the image URL's host is an IP address written in non-ASCII characters")
        if ip is not None:
            self.check_address(ip)  # a clear answer now; guarded_socket would refuse it anyway
        return parsed

    async def fetch(self, url: str) -> bytes:
        also_allowed: set[Address] = set()
        guard = self.socket_factory(also_allowed)
        connector = aiohttp.TCPConnector(use_dns_cache=False, socket_factory=guard)
        async with aiohttp.ClientSession(connector=connector, timeout=self.timeout) as http:
            target = self.check_url(url)
            for _ in range(MAX_REDIRECTS + 1):
                await self._allow_named(target.host or "", also_allowed)
                try:
                    async with http.get(target, allow_redirects=False) as r:
                        if r.status in (301, 302, 303, 307, 308) and "Location" in r.headers:
                            target = self.check_url(str(target.join(yarl.URL(r.headers["Location"]))))
                            continue
                        if r.status != 200:
                            raise FetchRefused(f"{COULD_NOT_FETCH} (it did not answer with an image)")
                        return await self._read(r)
                except aiohttp.ClientConnectorError as exc:
                    if isinstance(exc.os_error, _RefusedAddress):
                        raise FetchRefused(str(exc.os_error)) from None
                    raise FetchRefused(COULD_NOT_FETCH) from None
                except aiohttp.InvalidURL:  # forms yarl reads but aiohttp will not connect to
                    raise FetchRefused("the image URL is not a valid URL") from None
                except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                    if isinstance(exc, FetchRefused):
                        raise
                    raise FetchRefused(COULD_NOT_FETCH) from None
            raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")

    async def _read(self, r: aiohttp.ClientResponse) -> bytes:
        if r.content_length is not None and r.content_length > self.max_bytes:
            raise FetchRefused(f"the image is larger than {self.max_bytes} bytes")
        chunks, size = [], 0
        async for chunk in r.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchRefused(f"the image is larger than {self.max_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
