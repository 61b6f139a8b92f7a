"""One commit per request, by construction (code review d64d4a7 §5.10): a view commits
through `core.saving` only — `saving` around a form's save, or `commit(reason)` with the
reason named at the call; a service never commits. Read from the source, so a new
`db.session.commit()` in a views or services module fails here before it ships."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "core", "groups", "imports", "inbox", "livelihoods", "reports", "support")


def _modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            # views.py, views/…, the named ones beside them, and the
            # progress blueprint's pages (reports/pages/).
            if any(part.endswith(("views", "services", "pages")) for part in parts):
                yield path


def _commits(path: Path) -> list[int]:
    """Lines calling `<anything>.session.commit()` (db.session, or a session by alias)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "commit"
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "session"
        ):
            found.append(node.lineno)
    return found


def test_the_scan_sees_views_and_services_of_every_package():
    names = {str(p.relative_to(ROOT)) for p in _modules()}
    assert "accounts/views/login.py" in names
    assert "groups/services/members.py" in names and "core/views.py" in names
    assert "support/views/provider_pages.py" in names and "reports/pages/releases.py" in names
    assert "inbox/views.py" in names


def test_no_view_or_service_commits_but_through_core_saving():
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in _modules() for n in _commits(p)]
    assert offenders == [], (
        "Commit through core.saving: `with saving(form)` around the save, or "
        "`commit('why')` when there is no form to save"
    )


def test_the_scan_catches_a_commit(tmp_path):
    module = tmp_path / "views.py"
    module.write_text("def f():\n    db.session.commit()\n", encoding="utf-8")
    assert _commits(module) == [2]
