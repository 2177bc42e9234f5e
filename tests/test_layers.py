"""The layers hold: areas meet only through the shared layers, never each other's modules.

surfaces and wiring   api/ · cli.py · hub.py · demo/ · migrations/
areas                 ingest/ · alerts/ · cameras/ · reports/   (peers: never import each other)
the map               geo/                             (regions, grids, members, index)
shared layers         db · config/ · mqtt/ · events · scope · severity · reasons · tables · photos
"""

import ast
from pathlib import Path

import gridhub

ROOT = Path(gridhub.__file__).parent
SHARED = {
    "db", "config", "mqtt", "events", "scope", "severity", "reasons", "tables", "i18n",
    "cli_context", "photos", "secrets", "secret_store",
}  # fmt: skip
PEERS = {"ingest", "alerts", "cameras", "reports"}
ALLOWED = {
    **{name: SHARED for name in SHARED},
    "geo": SHARED,
    **{name: SHARED | {"geo"} for name in PEERS},
}
"""What each layer may import besides itself; surfaces and wiring may import anything."""


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "gridhub" and len(parts) > 1 else None


def imports_across(root: Path = ROOT) -> list[str]:
    crossing = []
    for path in sorted(root.rglob("*.py")):
        source = path.relative_to(root)
        own = source.parts[0].removesuffix(".py")
        if own not in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                part = _part(name)
                if part is not None and part != own and part not in ALLOWED[own]:
                    crossing.append(f"{source}:{node.lineno} imports {name}")
    return crossing


def test_no_area_imports_another_area_or_a_surface():
    assert imports_across() == []


def test_the_check_sees_a_crossing(tmp_path):
    """The rule is not vacuous: an alerts module importing ingest inside a function is caught."""
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "bad.py").write_text(
        "def f():\n    from gridhub.ingest.checkins import x\n"
    )
    assert imports_across(tmp_path) == ["alerts/bad.py:2 imports gridhub.ingest.checkins"]
