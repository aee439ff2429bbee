"""The layers: an app imports only the apps below it (docs/architecture.md).

Every import statement of every module of every app (migrations and management commands included,
function-local imports too) is read with ``ast``; an import of an app of the same or a higher rank
fails, naming the module and the line. Imports under ``if TYPE_CHECKING:`` name a type only and are
not counted: they cost no dependency at run time.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Rank of each app: an app may import only apps of a lower rank (accounts and audit share the bottom).
RANKS = {
    "accounts": 1,
    "audit": 1,
    "incidents": 2,
    "dispatch": 3,
    "notifications": 4,
    "debriefs": 5,
    "patrols": 5,
    "bulletins": 5,
    "preparedness": 5,
    "analytics": 5,
    # Exports bundles what incidents, dispatch and debriefs hold: it stands above the rank-5 apps.
    "exports": 6,
    "seeding": 7,
}
SHARED_BOTTOM = {"accounts", "audit"}
# portal/ is both the ground every app stands on (these modules import no app) and the roof that
# wires the apps together (settings, urls, routing, asgi, celery: they may import any app).
PORTAL_ROOF = {"settings", "urls", "api_urls", "asgi", "wsgi", "routing", "celery", "management"}
APPS = set(RANKS) | {"portal"}


def _modules(app: str) -> Iterator[Path]:
    folder = ROOT / app
    yield from sorted(folder.rglob("*.py")) if folder.is_dir() else ()


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def imported_apps(path: Path) -> Iterator[tuple[int, str]]:
    """(line, app) for every import of one of the project's apps in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    typing_only = _type_checking_lines(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in typing_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in APPS:
                yield node.lineno, top


def _allowed(importer: str, imported: str, path: Path) -> bool:
    if importer == imported:
        return True
    if importer == "portal":
        return path.relative_to(ROOT / "portal").parts[0].removesuffix(".py") in PORTAL_ROOF
    if imported == "portal":
        return True
    if {importer, imported} <= SHARED_BOTTOM:
        return True
    return RANKS[imported] < RANKS[importer]


def violations() -> list[str]:
    found = []
    for app in sorted(APPS):
        for path in _modules(app):
            for line, imported in imported_apps(path):
                if not _allowed(app, imported, path):
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return found


def test_no_app_imports_an_app_above_it():
    assert violations() == []


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "example.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from dispatch import services\n"
        "if TYPE_CHECKING:\n"
        "    from debriefs.models import Debrief\n"
        "def later():\n"
        "    import notifications.tasks\n"
    )
    assert list(imported_apps(module)) == [(2, "dispatch"), (6, "notifications")]
    assert not _allowed("incidents", "dispatch", ROOT / "incidents" / "example.py")
    assert _allowed("dispatch", "incidents", ROOT / "dispatch" / "example.py")
    assert _allowed("accounts", "audit", ROOT / "accounts" / "example.py")
    assert not _allowed("debriefs", "patrols", ROOT / "debriefs" / "example.py")
    assert not _allowed("portal", "incidents", ROOT / "portal" / "realtime.py")
    assert _allowed("portal", "incidents", ROOT / "portal" / "api_urls.py")
