"""The WebSocket protocol the server speaks: uvicorn's sans-I/O one (the ``websockets``
library's state machine, no task of its own per connection), keeping less for each open
connection.

A subscription socket stays open for hours and a process holds thousands of them, so
what each one keeps counts. uvicorn's protocol keeps an ``asyncio.Queue`` (three deques)
for the messages the app has not read, an
``asyncio.Event`` (with its deque) for write flow control, and the handshake's request
and response with all their headers for the connection's whole life. Here the inbox and
the flow-control flag are a deque made only while messages wait and a future made only
while someone waits, and the handshake is let go once it is answered. Everything else,
frames, keepalive, closing, is uvicorn's own.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from edom_graphql.core.inbox import Flag, Inbox


class SocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's ``websockets-sansio`` protocol with :class:`Inbox` and :class:`Flag`,
    letting go of the handshake once it is answered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox[Any]()  # type: ignore[assignment]
        self.writable = Flag(open=True)  # type: ignore[assignment]

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete and hasattr(self, "response"):
            # Only the handshake reads them: accepted, rejected or failed, it is over.
            del self.request, self.response
