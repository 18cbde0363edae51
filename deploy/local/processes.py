"""Child processes of the local stack: spawned so they cannot outlive it, their output prefixed.

Every child gets its own process group, so a terminal's Ctrl-C reaches only the runner, which then
stops the children in order (workers drain before the broker and the database go away). On Linux
each child also asks the kernel for a parent-death signal (prctl PR_SET_PDEATHSIG), so a runner
killed hard (SIGKILL, OOM) takes its children with it. The signal fires when the *thread* that
spawned the child ends, so children are spawned from the main thread only.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class Output:
    """Writes whole lines to stdout, each prefixed with its source's name."""

    def __init__(self, width: int = 0) -> None:
        self.width = width
        self._lock = threading.Lock()

    def line(self, source: str, text: str) -> None:
        """One line from `source`, e.g. `ingest-api | started`."""
        self.raw(f"{source:<{self.width}} | {text}")

    def raw(self, text: str) -> None:
        """Lines written as they are."""
        with self._lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()


def die_with_parent(sig: signal.Signals, *, block: bool = False) -> Callable[[], None] | None:
    """A preexec_fn that makes the child receive `sig` when this process dies (Linux only).

    With `block`, the child starts with `sig` blocked so it can `sigwait` for it: a child that
    must act on its parent's death (the guard) is then never killed by it before it is ready.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork, not in the child
    parent = os.getpid()

    def preexec() -> None:
        if block:
            signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
        prctl(PR_SET_PDEATHSIG, int(sig))
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), sig)

    return preexec


@dataclass
class Backoff:
    """When to restart a process that exited: after `first` seconds, doubled at each exit in a
    row up to `longest`, and after `first` again once it had run `stable` seconds."""

    first: float = 1.0
    longest: float = 30.0
    stable: float = 60.0
    delay: float = 0.0
    started_at: float = 0.0
    due_at: float | None = None
    restarts: int = 0

    def exited(self, now: float) -> float:
        """The process was found exited at `now`: schedule its restart; the delay."""
        if now - self.started_at >= self.stable:
            self.delay = self.first
        else:
            self.delay = min(self.longest, max(self.first, self.delay * 2))
        self.due_at = now + self.delay
        return self.delay

    def due(self, now: float) -> bool:
        """Whether a scheduled restart is due."""
        return self.due_at is not None and now >= self.due_at

    def started(self, now: float) -> None:
        """The process was (re)started at `now`."""
        self.started_at = now
        self.due_at = None


class Child:
    """One supervised process: the runner's own child, alone in its process group."""

    def __init__(
        self, name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.backoff = Backoff()
        self._pump: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        """The process id once spawned."""
        return self.process.pid if self.process is not None else None

    def spawn(self) -> None:
        """Start the process (from the main thread, see the module docstring)."""
        self.process = subprocess.Popen(  # noqa: S603
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
            preexec_fn=die_with_parent(signal.SIGKILL),
        )

    def pump_output(self, output: Output) -> None:
        """Copy the child's output line by line in a thread, until it has exited."""
        process = self.process
        if process is None or process.stdout is None:
            raise RuntimeError(f"{self.name} has not been spawned with a pipe")
        stream: IO[bytes] = process.stdout

        def pump() -> None:
            for raw in stream:
                output.line(self.name, raw.decode(errors="replace").rstrip())
            process.wait()

        self._pump = threading.Thread(target=pump, name=f"output-{self.name}", daemon=True)
        self._pump.start()

    def running(self) -> bool:
        """Whether the process is still alive (not yet reaped)."""
        return self.process is not None and self.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        """The exit code once the process has exited (negative: the signal that ended it)."""
        return None if self.process is None else self.process.poll()

    def signal(self, sig: signal.Signals) -> None:
        """Send `sig` to the child's process group, if it is still running."""
        if self.process is not None and self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def join_output(self, timeout: float) -> None:
        """Wait for the last lines of output to be copied."""
        if self._pump is not None:
            self._pump.join(timeout)


def stop_all(children: Sequence[Child], *, grace: float, hurry: Callable[[], bool]) -> list[str]:
    """SIGTERM every child, wait up to `grace` seconds (less if `hurry()`), SIGKILL the rest.

    Returns the names of the children that had to be killed.
    """
    for child in children:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(c.running() for c in children) and time.monotonic() < deadline and not hurry():
        time.sleep(0.05)
    stragglers = [c for c in children if c.running()]
    for child in stragglers:
        child.signal(signal.SIGKILL)
    for child in stragglers:
        if child.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(5)
    return [c.name for c in stragglers]


def start_guard(targets: Mapping[int, signal.Signals], *, cwd: Path) -> subprocess.Popen[bytes]:
    """Start the guard that stops the embedded servers if the runner dies without doing it."""
    args = [f"{pid}:{sig.name}" for pid, sig in targets.items()]
    return subprocess.Popen(  # noqa: S603
        [sys.executable, str(Path(__file__).with_name("guard.py")), *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=die_with_parent(signal.SIGTERM, block=True),
    )


def stop_guard(guard: subprocess.Popen[bytes]) -> None:
    """Dismiss the guard once the servers have been stopped in order."""
    if guard.poll() is None:
        guard.kill()
    guard.wait()
