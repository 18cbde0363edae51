"""The reliability suite runs only when asked for: `make test-reliability` (`-m reliability`)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# The fault-injection module beside the tests imports by name.
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave the suite out of runs whose marker expression does not name it."""
    if "reliability" in (config.option.markexpr or ""):
        return
    kept, left_out = [], []
    for item in items:
        (left_out if item.get_closest_marker("reliability") else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and "reliability" in report.keywords:
        from faults import RUN

        RUN.failed = True


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.monotonic()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """The suite's table: a line per case and count, then what the run cost."""
    from faults import RUN, table

    if not RUN.reports:
        return
    terminalreporter.section("fault suite")
    for line in table(RUN.reports).splitlines():
        terminalreporter.write_line(line)
    elapsed = time.monotonic() - config.stash[_STARTED]
    terminalreporter.write_line(
        f"stack started in {RUN.stack_seconds:.0f} s; suite {elapsed:.0f} s"
    )
    if RUN.logs is not None:
        terminalreporter.write_line(f"process logs kept in {RUN.logs}")


_STARTED = pytest.StashKey[float]()
