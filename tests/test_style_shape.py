"""STYLE's shape, held by the source (code review d64d4a7 §5.6): a package's `__init__.py`
holds nothing but a docstring, so what a name means is found in the module that defines it;
a file past ~400 lines becomes a package. Read from the source tree, so a new file is held
as soon as it is written."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
SKIPPED = {"tests", "migrations", "node_modules", "__pycache__", "build", "instance"}


def _product_files() -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if not SKIPPED.intersection(path.relative_to(ROOT).parts)
        and not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    )


def _holds_more_than_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return bool(body)


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_every_package_init_is_only_a_docstring():
    inits = [name for name in _product_files() if name.endswith("__init__.py")]
    assert "reports/indicators/__init__.py" in inits  # the scan sees nested packages
    offenders = [name for name in inits if _holds_more_than_a_docstring(ROOT / name)]
    assert offenders == [], "Move the code into a module of the package and import it from there"


def test_the_init_check_sees_code(tmp_path):
    only_doc = tmp_path / "a.py"
    only_doc.write_text('"""What the package is."""\n', encoding="utf-8")
    reexport = tmp_path / "b.py"
    reexport.write_text('"""Doc."""\n\nfrom x.y import z\n', encoding="utf-8")
    assert not _holds_more_than_a_docstring(only_doc)
    assert _holds_more_than_a_docstring(reexport)


def test_no_product_file_is_past_the_limit():
    over = {
        name: _lines(ROOT / name) for name in _product_files() if _lines(ROOT / name) > MAX_LINES
    }
    assert over == {}, f"Split: move whole functions or classes into modules beside it: {over}"


def _private_imports(path: Path) -> list[str]:
    """`from a.b import _name` of a project module: a name the module keeps to itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if alias.name.startswith("_")
                and not alias.name.startswith("__")
                and (ROOT / node.module.split(".")[0]).is_dir()
            ]
    return found


def test_no_module_imports_another_modules_private_name():
    offenders = {
        name: names for name in _product_files() if (names := _private_imports(ROOT / name))
    }
    assert offenders == {}, "Make the name public where it is defined, or keep it there"


def test_the_private_import_check_sees_one(tmp_path):
    source = tmp_path / "a.py"
    source.write_text("from reports.sql import _hidden, public\n", encoding="utf-8")
    assert _private_imports(source) == ["reports.sql._hidden"]
