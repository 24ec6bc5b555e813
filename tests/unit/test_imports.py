"""The layering's last rule: no module of ours imports one of ours inside a function.

import-linter counts such imports as well, but an import inside a function is where a cycle
hides: the package graph stays plain only while every import of ours is at a module's top.
(Third-party packages may still load lazily for start-up time, each with its reason.)
Alembic's revisions are left out: one imports the code of its day inside ``upgrade()``.
The transcription package imports nothing of ours and loads its engines lazily itself.
"""

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("core", "helpline", "ivr", "tickets", "callbacks", "transcription", "simulator")
CHECKED = ("core", "helpline", "ivr", "tickets", "callbacks", "simulator")
MIGRATIONS = ROOT / "helpline" / "migrations"


def imports_inside_functions(source: str) -> set[tuple[int, str]]:
    """(line, module) of every import of our packages made inside a function."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            elif isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                names = [inner.module]
            else:
                continue
            found |= {(inner.lineno, name) for name in names if name.split(".")[0] in OURS}
    return found


def scan() -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for package in CHECKED
        for path in sorted((ROOT / package).rglob("*.py"))
        if not path.is_relative_to(MIGRATIONS)
        for line, name in sorted(imports_inside_functions(path.read_text(encoding="utf-8")))
    ]


def test_no_module_of_ours_imports_one_of_ours_inside_a_function():
    # In an interpreter of its own: CPython 3.11 before 3.11.8 may raise a spurious
    # SystemError («AST constructor recursion depth mismatch», gh-106905) from ast.parse
    # while other threads run, as the suite's schedulers and servers do (seen in CI).
    scanned = subprocess.run([sys.executable, __file__], capture_output=True, text=True,
                             check=True, timeout=120)
    assert json.loads(scanned.stdout) == []


def test_the_check_sees_an_import_inside_a_function():
    source = (
        "import core.models\n"
        "def view():\n"
        "    import json\n"
        "    def inner():\n"
        "        from callbacks import service\n"
        "    from tickets.models import Ticket\n"
    )
    assert imports_inside_functions(source) == {(5, "callbacks"), (6, "tickets.models")}


if __name__ == "__main__":
    print(json.dumps(scan()))
