"""The house shape (README "Architecture"), checked on the source so a new module cannot drift:
services never commit or roll back (only the unit of work does), views never roll back, services
never import the task queue, and every area's blueprint is a package of audience modules."""

from __future__ import annotations

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
AUDIENCE_MODULES = {"__init__", "forms", "public", "member", "staff", "admin", "enterprise"}
# The sync API's audience is a device: its routes are ``kiosk``, with its document and commands.
DEVICE_MODULES = {"kiosk", "openapi", "cli"}


def _calls(path: Path, names: set[str]) -> list[str]:
    """``x.commit()``-style calls in ``path`` whose method is one of ``names``, as "file:line"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(PORTAL)}:{node.lineno}" for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in names]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_only_the_unit_of_work_commits_or_rolls_back():
    services = [path for path in (PORTAL / "services").rglob("*.py") if path.name != "unit_of_work.py"]
    assert _calls(PORTAL / "services" / "unit_of_work.py", {"commit"})  # the check sees a commit
    assert [hit for path in services for hit in _calls(path, {"commit", "rollback"})] == []


def test_no_view_rolls_back():
    views = list((PORTAL / "blueprints").rglob("*.py"))
    assert [hit for path in views for hit in _calls(path, {"rollback"})] == []


def test_services_never_import_the_task_queue():
    assert "portal.tasks" in _imports(PORTAL / "__init__.py")  # the check sees ``from portal import tasks``
    offenders = [str(path.relative_to(PORTAL)) for path in (PORTAL / "services").rglob("*.py")
                 if any(name == "portal.tasks" or name.startswith("portal.tasks.") for name in _imports(path))]
    assert offenders == []


def test_every_blueprint_is_a_package_of_audience_modules():
    areas = [path for path in (PORTAL / "blueprints").iterdir() if path.is_dir() and path.name != "__pycache__"]
    assert len(areas) >= 10
    for area in areas:
        allowed = AUDIENCE_MODULES | (DEVICE_MODULES if area.name == "sync" else set())
        modules = {path.stem for path in area.glob("*.py")}
        assert modules <= allowed, f"{area.name}: {sorted(modules - allowed)} is not an audience module"
        assert "bp = Blueprint(" in (area / "__init__.py").read_text(encoding="utf-8"), area.name
