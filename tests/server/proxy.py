"""A small round-robin reverse proxy for tests: ``python tests/server/proxy.py PORT
UPSTREAM...`` (``host:port`` each). Every request goes to the next upstream (plain
requests are sent with ``Connection: close``, so each one is balanced); a WebSocket
upgrade keeps its connection to the upstream it got. Responses carry ``X-Upstream``."""

from __future__ import annotations

import asyncio
import itertools
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def with_header(head: bytes, line: bytes, *, drop: bytes | None = None) -> bytes:
    lines = head.rstrip(b"\r\n").split(b"\r\n")
    if drop is not None:
        lines = [lines[0], *(h for h in lines[1:] if not h.lower().startswith(drop))]
    return b"\r\n".join([*lines, line]) + b"\r\n\r\n"


async def main(port: int, upstreams: list[str]) -> None:
    turn = itertools.cycle(upstreams)

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            head = await client_r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_w.close()
            return
        upstream = next(turn)
        host, _, up_port = upstream.rpartition(":")
        up_r, up_w = await asyncio.open_connection(host, int(up_port))
        if b"\r\nupgrade: websocket" not in head.lower():
            head = with_header(head, b"Connection: close", drop=b"connection:")
        up_w.write(head)
        await up_w.drain()
        # The request's body (or WebSocket frames) flows on while the answer is awaited.
        upward = asyncio.create_task(pipe(client_r, up_w))
        try:
            answer = await up_r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            client_w.close()
            up_w.close()
            await upward
            return
        client_w.write(with_header(answer, b"X-Upstream: " + upstream.encode()))
        await asyncio.gather(upward, pipe(up_r, client_w))

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2:]))
