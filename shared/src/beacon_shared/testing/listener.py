"""A TCP listener on loopback that records what each connection sends: proof, in tests, of
whether a call reached an address at all."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Listener:
    """Where it listens, and the first bytes of every connection it accepted."""

    port: int
    received: list[bytes] = field(default_factory=list)


@contextlib.contextmanager
def recording_listener() -> Iterator[Listener]:
    """Listen on 127.0.0.1 until the block ends; never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    listener = Listener(server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    listener.received.append(conn.recv(4096))
                except OSError:
                    listener.received.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        stop.set()
        thread.join()
        server.close()
