"""CPU time of the processes a benchmark run involves, read from /proc (Linux): one process's,
each named group's between two readings, and the whole machine's."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (fields 14 and 15 of its stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of every core since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def _processes() -> list[Path]:
    return [p for p in Path("/proc").iterdir() if p.name.isdigit()]


def postgres_pids(database_url: str) -> list[int]:
    """The embedded PostgreSQL's postmaster and its children; none for an outside server."""
    host = parse_qs(urlsplit(database_url).query).get("host", [""])[0]
    try:
        postmaster = int((Path(host) / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return []
    children = []
    for proc in _processes():
        with contextlib.suppress(OSError, IndexError):
            if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(proc.name))
    return [postmaster, *children]


def broker_pids(bootstrap: str) -> list[int]:
    """The embedded broker listening on `bootstrap`; none for an outside broker."""
    wanted = f"tcp://{bootstrap}".encode()
    found = []
    for proc in _processes():
        with contextlib.suppress(OSError):
            if wanted in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
    return found


class CpuMeter:
    """CPU time each named group of processes spends between `start` and the last `sample`,
    and the whole machine's (which includes anything else running on it)."""

    def __init__(self, groups: Mapping[str, Callable[[], Sequence[int]]]) -> None:
        self._groups = groups
        self._first: dict[int, float] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._ticks = (machine_ticks(), machine_ticks())

    def _read(self) -> dict[int, tuple[str, float]]:
        readings = {}
        for name, pids in self._groups.items():
            for pid in pids():
                with contextlib.suppress(OSError):  # gone since it was listed
                    readings[pid] = (name, cpu_seconds(pid))
        return readings

    def start(self) -> None:
        self._first = {pid: cpu for pid, (_, cpu) in self._read().items()}
        self._last = {}
        self._ticks = (machine_ticks(), machine_ticks())

    def sample(self) -> None:
        """Read every process now; a process that dies keeps its last reading."""
        self._last.update(self._read())
        self._ticks = (self._ticks[0], machine_ticks())

    def percent_of_one_core(self) -> dict[str, int]:
        """Per group, the machine, and "other" (the machine less the groups)."""
        (busy0, total0), (busy1, total1) = self._ticks
        cores = os.cpu_count() or 1
        seconds = (total1 - total0) / cores / os.sysconf("SC_CLK_TCK")
        if seconds <= 0:
            return {}
        used: dict[str, float] = {}
        for pid, (name, cpu) in self._last.items():
            used[name] = used.get(name, 0.0) + cpu - self._first.get(pid, 0.0)
        shares = {name: round(100 * cpu / seconds) for name, cpu in sorted(used.items())}
        machine = round(100 * cores * (busy1 - busy0) / (total1 - total0))
        return {**shares, "other": machine - sum(shares.values()), "machine": machine}
