"""core/ holds infrastructure only (code review d64d4a7 §5.3): no module under core/
imports a feature package, at the top or inside a function. Read from the source, so a
new `from groups… import` in core fails here. Scheduled jobs are named by string
("inbox.jobs:send_pending_email") and resolved when run, which this allows."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FEATURES = {"accounts", "groups", "livelihoods", "support", "reports", "imports", "inbox"}
# (core module, imported module) pairs allowed because they cannot be avoided. None today.
EXCEPTIONS: set[tuple[str, str]] = set()


def _feature_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in FEATURES]
    return found


def test_core_imports_no_feature_package():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        for line, name in _feature_imports(path)
        if (str(path.relative_to(ROOT)), name) not in EXCEPTIONS
    ]
    assert offending == []


def test_the_scan_finds_a_feature_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nfrom core.db import db\n\n\ndef f():\n"
        "    from accounts.models import User\n    import inbox.services\n",
        encoding="utf-8",
    )
    assert _feature_imports(module) == [(6, "accounts.models"), (7, "inbox.services")]
