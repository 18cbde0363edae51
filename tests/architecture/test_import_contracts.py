"""Every package of a service that has tables or SQL keeps them to itself: the root
pyproject.toml holds an import-linter contract for it, so a package added later is held too."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTERNALS = ("models", "repository")


def packages_with_internals() -> dict[str, set[str]]:
    """Per `<service>.<package>`, the internal modules it has (`models`, `repository`)."""
    found: dict[str, set[str]] = {}
    for package in sorted(ROOT.glob("services/*/src/*/*/__init__.py")):
        directory = package.parent
        names = {
            name
            for name in INTERNALS
            if (directory / f"{name}.py").exists() or (directory / name / "__init__.py").exists()
        }
        if names:
            found[f"{directory.parent.name}.{directory.name}"] = names
    return found


def protected_contracts() -> dict[str, tuple[set[str], set[str]]]:
    """Per protected module, its contract's protected modules and allowed importers."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return {
        module: (set(c["protected_modules"]), set(c["allowed_importers"]))
        for c in contracts
        if c["type"] == "protected"
        for module in c["protected_modules"]
    }


def test_services_have_packages_with_tables():
    assert "ingest.accounts" in packages_with_internals()


def test_each_package_s_models_and_repository_only_it_imports():
    contracts = protected_contracts()
    missing = []
    for package, names in packages_with_internals().items():
        for name in sorted(names):
            module = f"{package}.{name}"
            if module not in contracts or contracts[module][1] != {package}:
                missing.append(module)
    assert not missing, f"no contract keeps these to their package: {missing}"
