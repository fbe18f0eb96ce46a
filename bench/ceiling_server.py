"""The load generator's ceiling (bench/load.py): the smallest HTTP/1.1 server asyncio allows,
answering every request at once with the same 15 bytes of JSON, keep-alive. What wrk drives
here, with the same script and connections, is a floor for what wrk itself can send: the
planner's numbers are worth reading only well below it.

    python bench/ceiling_server.py --port 8002
"""

from __future__ import annotations

import argparse
import asyncio

ANSWER = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n"
    b'{"status":"ok"}'
)


class Answering(asyncio.Protocol):
    """Answers each request head as it arrives (wrk's GETs carry no body)."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        heads = self.buffer.count(b"\r\n\r\n")
        if heads and self.transport is not None:
            self.buffer = self.buffer[self.buffer.rfind(b"\r\n\r\n") + 4 :]
            self.transport.write(ANSWER * heads)


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Answering, host, port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="a fixed answer, as fast as asyncio goes")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
