"""docs/security.md maps every item of the security checklist to its control and its tests
(issue 12 item 6): each test it names exists, so the table cannot drift from the suite."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"
ITEMS = range(1, 24)  # ../shared/SECURITY.md 1-23
OPEN: set[int] = set()  # none: the phone's encryption and app lock came with issue 13


def rows() -> dict[int, str]:
    found = {}
    for line in DOC.read_text("utf-8").splitlines():
        match = re.match(r"\| (\d+) \|", line)
        if match:
            found[int(match.group(1))] = line
    return found


def named_tests(row: str) -> list[tuple[str, str]]:
    """(file, test) for each `tests/x.py::name` and each following `::name` of that file."""
    tests, current = [], None
    for ref in re.findall(r"`((?:tests/[\w/]+\.py)?(?:::\w+)?)`", row):
        path, _, name = ref.partition("::")
        if path:
            current = path
        if name and current:
            tests.append((current, name))
    return tests


def defined(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text("utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def test_every_item_of_the_checklist_has_a_row():
    assert sorted(rows()) == list(ITEMS)


def test_every_item_but_the_open_ones_names_a_test():
    table = rows()
    without = [item for item in ITEMS if item not in OPEN and not named_tests(table[item])]
    assert without == []
    assert all("Open" in table[item] for item in OPEN)


def test_every_test_the_table_names_exists():
    missing = [
        f"{path}::{name}"
        for row in rows().values()
        for path, name in named_tests(row)
        if not (ROOT / path).exists() or name not in defined(path)
    ]
    assert missing == []


def test_every_file_the_table_names_exists():
    files = {
        ref
        for row in rows().values()
        for ref in re.findall(r"`((?:tests|scripts)/[\w/.-]+)`", row)
        if "::" not in ref
    }
    assert files and [f for f in files if not (ROOT / f.split("::")[0]).exists()] == []
