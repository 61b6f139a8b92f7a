"""core/ holds infrastructure only (code review d64d4a7 §5.3): no module under core/
imports a feature package, at the top or inside a function. Read from the source, so a
new `from groups… import` in core fails here. Scheduled jobs are named by string
("accounts.jobs:send_pending_email") and resolved when run, which this allows."""

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


def _package_imports(package: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in _feature_imports(path)
        if name.split(".")[0] != package
    ]


def test_the_inbox_imports_no_feature_package():
    """The inbox sits just above core: accounts, livelihoods and support notify through it,
    so it imports none of them (accounts ↔ inbox was a circle until session 11). The words of
    each feature's notices are found by module name (inbox.services.NOTICE_MODULES)."""
    assert _package_imports("inbox") == []


def test_every_notice_module_is_found_by_name_and_no_view_imports_jobs_for_words():
    from inbox import services

    for name in services.NOTICE_MODULES:
        assert (ROOT / (name.replace(".", "/") + ".py")).exists(), name
    side_effects = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for package in FEATURES
        for path in sorted((ROOT / package).rglob("*views*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and (node.module.endswith(".jobs") or any(a.name == "jobs" for a in node.names))
    ]
    assert side_effects == []


def test_the_inbox_puts_every_features_notices_into_words(app):
    """Every kind the jobs and services notify has its words, found from NOTICE_MODULES
    alone (the email job renders outside any request)."""
    from inbox import services

    with app.app_context():
        services.render([])
    kinds = {"due_soon", "due_today", "overdue", "escalated", "digest", "referral_overdue"}
    kinds.add("two_factor_locked")
    assert kinds <= set(services.RENDERERS)
    assert {"due_soon", "overdue"} <= set(services.BESIDE)
