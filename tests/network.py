"""A network between the tests and what they talk to that the tests can break."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class Cable:
    """A TCP proxy in front of a server (on a TCP port or a UNIX socket).

    ``unplug()`` cuts every open connection (both ends see a reset) and refuses new ones
    until ``plug()``: what clients see when the server restarts or the network drops.
    ``freeze()`` silently stops carrying bytes, connections left open (a dead NAT, a client
    that stopped reading), until ``thaw()``.
    """

    def __init__(
        self, *, port: int | None = None, path: str | None = None, host: str = "127.0.0.1"
    ) -> None:
        assert (port is None) != (path is None)
        self.target_host = host
        self.target_port = port
        self.target_path = path
        self.plugged = True
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.links: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.thaw()
        self.unplug()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    def unplug(self) -> None:
        self.plugged = False
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()

    def plug(self) -> None:
        self.plugged = True

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.target_path is not None:
            return await asyncio.open_unix_connection(self.target_path)
        return await asyncio.open_connection(self.target_host, self.target_port)

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.plugged:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await self._open_upstream()
        except OSError:
            writer.transport.abort()
            return
        self.links.update((writer, upstream_writer))
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
            )
        finally:
            for end in (writer, upstream_writer):
                self.links.discard(end)
                end.transport.abort()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.transport.abort()


def cable_for(url: str) -> Cable:
    """A cable to the server of a PostgreSQL or Redis URL (TCP, or PostgreSQL's socket)."""
    parts = urlsplit(url)
    if parts.hostname and not parts.hostname.startswith("/"):
        return Cable(host=parts.hostname, port=parts.port or _DEFAULT_PORTS[parts.scheme])
    # postgresql://user@/db?host=/path/to/socket/dir&port=5432 (pgserver's form)
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    directory = query.get("host") or parts.hostname or "/tmp"
    return Cable(path=f"{directory}/.s.PGSQL.{query.get('port', parts.port or 5432)}")


_DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "redis": 6379}


def through(url: str, cable: Cable) -> str:
    """``url`` with its server replaced by the cable's end."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    if parts.password:
        user = f"{parts.username}:{parts.password}@"
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not pair.startswith(("host=", "port="))
    )
    return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{cable.port}", query=query))
