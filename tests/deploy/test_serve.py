"""`python -m beacon_shared.serve`: the API process reports a drained stop as success.

Plain uvicorn raises the signal it caught again once it has shut down, so a clean drain ends
as "killed by SIGTERM" (status 143); restart policies and operators read that as a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from beacon_shared.embedded import free_port

HERE = Path(__file__).resolve().parent


def serve(app: str, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "beacon_shared.serve", f"minimal_asgi:{app}"),
            *("--app-dir", str(HERE), "--host", "127.0.0.1", "--port", str(port)),
        ],
        env={k: v for k, v in os.environ.items() if not k.startswith("UVICORN_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_listening(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
        else:
            return
    raise AssertionError("the server never listened")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_drained_stop_exits_zero(stop):
    port = free_port()
    proc = serve("app", port)
    try:
        wait_until_listening(port, proc)
        assert httpx.get(f"http://127.0.0.1:{port}/").text == "ok"
        proc.send_signal(stop)
        output, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "Application shutdown complete" in output
    assert "Finished server process" in output


def test_a_failed_start_still_fails():
    proc = serve("failing_startup", free_port())
    try:
        output, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 3, output  # uvicorn's status for a failed start
    assert "database unreachable" in output
