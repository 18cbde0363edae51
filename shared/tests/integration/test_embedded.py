"""The embedded broker starts, serves, and leaves no process behind when stopped."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from beacon_shared.embedded import EmbeddedBroker
from beacon_shared.topics import TopicSpec, ensure_topics

pytestmark = pytest.mark.kafka


def processes_listening_on(url: str) -> list[int]:
    """Pids of live processes whose command line names `url`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if url in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
    except OSError:
        return False
    return True


async def test_a_stopped_broker_leaves_no_process_and_frees_its_port():
    broker = EmbeddedBroker().start()
    url = f"tcp://127.0.0.1:{broker.port}"
    try:
        assert accepts_connections(broker.port)
        assert len(processes_listening_on(url)) == 1
        await ensure_topics(broker.bootstrap, [TopicSpec("probe", 1, "A probe.")])
    finally:
        broker.stop()

    assert processes_listening_on(url) == []
    assert not accepts_connections(broker.port)


def test_stopping_twice_is_harmless():
    broker = EmbeddedBroker().start()
    broker.stop()

    broker.stop()

    assert processes_listening_on(f"tcp://127.0.0.1:{broker.port}") == []


def test_a_broker_with_connected_clients_stops_without_waiting_for_them():
    broker = EmbeddedBroker().start()
    client = socket.create_connection(("127.0.0.1", broker.port))
    try:
        started = time.monotonic()
        broker.stop()
        # The broker's own graceful shutdown waits 5 s for clients to hang up.
        assert time.monotonic() - started < 3
    finally:
        client.close()
    assert processes_listening_on(f"tcp://127.0.0.1:{broker.port}") == []
