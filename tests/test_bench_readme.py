"""bench/README.md: every command runs from the repository root, wherever it is checked out."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "bench" / "README.md").read_text()


def commands() -> list[str]:
    blocks = re.findall(r"```(?:sh)?\n(.*?)```", README, re.S)
    indented = re.findall(r"^    (\.venv/.*)$", README, re.M)
    return [line.strip() for block in blocks for line in block.splitlines()] + indented


def test_no_command_leaves_the_repository_root_or_names_a_machine_path():
    found = commands()
    assert any("-m bench." in c for c in found)
    for command in found:
        assert not command.startswith(("cd ", "pushd ")), command
        assert not re.search(r"(^|\s)(/work|/home|/Users|~)/", command), command


def test_every_bench_module_named_exists():
    for module in set(re.findall(r"-m (bench\.\w+)", README)):
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), module
