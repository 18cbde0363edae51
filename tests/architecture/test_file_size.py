"""Source files stay small enough to read whole: a file past the limit is split along a seam."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 500


def source_files() -> list[Path]:
    """Every Python file of the runtime packages (the services' and shared's), of the tools kept
    beside them and of the deployment's own programs."""
    return sorted(
        [
            *ROOT.glob("services/*/src/**/*.py"),
            *ROOT.glob("shared/src/**/*.py"),
            *ROOT.glob("services/*/tools/**/*.py"),
            *ROOT.glob("shared/tools/**/*.py"),
            *ROOT.glob("deploy/**/*.py"),
        ]
    )


def test_the_runtime_packages_tools_and_deployment_programs_are_found():
    names = {path.relative_to(ROOT).parts[0:2] for path in source_files()}
    assert {("shared", "src"), ("shared", "tools"), ("deploy", "local")} <= names
    assert any(path.match("services/*/tools/**/*.py") for path in source_files())


def test_no_source_file_is_longer_than_the_limit():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in source_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"over {MAX_LINES} lines, split along a seam: {too_long}"
