"""Fetching an image URL on a client's behalf without letting the client reach inside our network.

Only http(s). Every address a host name resolves to is checked, and the connection goes to those
checked addresses only (the check lives in the resolver aiohttp connects through, so a DNS answer
cannot change between check and use). Private, loopback, link-local, multicast, reserved and
unspecified addresses are refused unless the allow-list names the host or contains the address.
Redirects are followed by hand, each new URL checked again; size and time are capped.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_REDIRECTS = 3
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FetchRefused(ValueError):
    """The URL may not be fetched, or fetching it failed; the message says why."""


def parse_allow_list(entries: Iterable[str]) -> tuple[set[str], list[Network]]:
    """Host names, and addresses or networks, from the allow-list setting's entries."""
    hosts: set[str] = set()
    nets: list[Network] = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.lower())
    return hosts, nets


def forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
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


class GuardedResolver(AbstractResolver):
    def __init__(self, allow_hosts: set[str], allow_nets: list[Network]) -> None:
        self._inner = DefaultResolver()
        self.allow_hosts = allow_hosts
        self.allow_nets = allow_nets

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if host.lower() in self.allow_hosts:
            return results
        for r in results:
            ip = ipaddress.ip_address(r["host"])
            why = forbidden(ip)
            if why and not any(ip in net for net in self.allow_nets):
                raise FetchRefused(f"{host} resolves to a {why} address ({ip}); not fetched")
        return results

    async def close(self) -> None:
        await self._inner.close()


class SafeFetcher:
    def __init__(self, allow_list: Iterable[str], max_bytes: int, timeout_s: float) -> None:
        self.allow_hosts, self.allow_nets = parse_allow_list(allow_list)
        self.max_bytes = max_bytes
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"only http and https URLs are fetched, not {parts.scheme or 'none'!r}")
        if not parts.hostname:
            raise FetchRefused("the URL has no host")
        if parts.username or parts.password:
            raise FetchRefused("URLs with credentials are not fetched")
        # aiohttp connects to a literal address without asking the resolver: check it here
        try:
            ip = ipaddress.ip_address(parts.hostname)
        except ValueError:
            return
        why = forbidden(ip)
        allowed = parts.hostname.lower() in self.allow_hosts or any(ip in n for n in self.allow_nets)
        if why and not allowed:
            raise FetchRefused(f"{ip} is a {why} address; not fetched")

    async def fetch(self, url: str) -> bytes:
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.allow_hosts, self.allow_nets),
                                         use_dns_cache=False)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=self.timeout) as http:
                for _ in range(MAX_REDIRECTS + 1):
                    self._check_url(url)
                    async with http.get(url, allow_redirects=False) as r:
                        if r.status in (301, 302, 303, 307, 308) and "Location" in r.headers:
                            url = urljoin(url, r.headers["Location"])
                            continue
                        if r.status != 200:
                            raise FetchRefused(f"fetching the image answered HTTP {r.status}")
                        return await self._read(r)
                raise FetchRefused(f"more than {MAX_REDIRECTS} redirects")
        except FetchRefused:
            raise
        except aiohttp.ClientConnectorError as exc:
            inner: Any = exc.os_error
            if isinstance(inner, FetchRefused):
                raise inner from None
            raise FetchRefused(f"could not connect to {urlsplit(url).hostname}: {exc.strerror}") from None
        except TimeoutError:
            raise FetchRefused("fetching the image timed out") from None
        except aiohttp.ClientError as exc:
            raise FetchRefused(f"fetching the image failed: {exc}") from None

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
