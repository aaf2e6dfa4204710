"""The repository stands alone (issue 15): no test, benchmark or sample reads a path outside it,
and every path the shared fixtures hand out is inside it. A clone in an empty folder passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests import conftest

ROOT = conftest.ROOT
SCANNED = ("tests", "benchmarks", "samples")
SUFFIXES = (".py", ".sh", ".txt", ".yaml", ".yml", ".toml", ".cfg", ".ini")
# Path(__file__).resolve().parent.parent... or .parents[N]: how many folders up from the file
UP_FROM_FILE = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?(\.parents\[(\d+)\]|(?:\.parent)+)")
# a quoted or bare relative path that climbs: "../elsewhere/events", --find-links ../../dist
CLIMBING = re.compile(r"""(?:^|[\s"'=(])((?:\.\./)+[\w.\-/]*)""", re.MULTILINE)


def scanned_files() -> list[Path]:
    return sorted(
        path for folder in SCANNED for path in (ROOT / folder).rglob("*")
        if path.is_file() and path.suffix in SUFFIXES and "node_modules" not in path.parts
        and "__pycache__" not in path.parts and path.name != "test_self_contained.py"  # its examples leave
    )  # fmt: skip


def inside(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def escapes(text: str, file: Path) -> list[str]:
    """The paths in ``text`` (the content of ``file``) that lead outside the repository."""
    found = []
    for match in UP_FROM_FILE.finditer(text):
        levels = int(match.group(2)) + 1 if match.group(2) else match.group(1).count(".parent")
        if not inside(file.parents[levels - 1]):
            found.append(match.group(0))
    found += re.findall(r"\bROOT\.parents?\b", text)  # above the root, however it goes on
    for match in CLIMBING.finditer(text):
        relative = match.group(1)
        # pip reads --find-links and paths in requirements relative to the file; code, to the root or cwd
        base = file.parent if file.suffix in (".txt", ".yaml", ".yml") else ROOT
        if not inside(base / relative):
            found.append(relative)
    outside_root = str(ROOT.parent) + "/"
    for literal in re.findall(r"""["']([^"'\s]+)["']""", text):
        if literal.startswith(outside_root) and not inside(Path(literal)):
            found.append(literal)
    return found


def test_the_scan_finds_paths_that_leave() -> None:
    here = ROOT / "tests" / "conftest.py"
    assert escapes('EVENTS = ROOT.parent / "elsewhere"\nx = Path("../elsewhere/events")', here) == [
        "ROOT.parent",
        "../elsewhere/events",
    ]
    assert escapes("ROOT = Path(__file__).resolve().parents[2]", here) == ["Path(__file__).resolve().parents[2]"]
    assert escapes(f'open("{ROOT.parent}/elsewhere/events/a.json")', here) == [f"{ROOT.parent}/elsewhere/events/a.json"]
    assert escapes("--find-links ../../dist", ROOT / "samples" / "flask_app" / "requirements.txt") == []
    assert escapes("--find-links ../../../dist", ROOT / "samples" / "flask_app" / "requirements.txt") != []


@pytest.mark.parametrize("file", scanned_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_test_benchmark_or_sample_reaches_outside_the_repository(file: Path) -> None:
    assert escapes(file.read_text(errors="replace"), file) == []


def test_every_path_the_fixtures_hand_out_is_inside_the_repository() -> None:
    for path in (conftest.ROOT, conftest.EVENTS, conftest.SAMPLES):
        assert inside(path) and path.is_dir(), path
    events = conftest.recorded_events()
    assert len(events) > 50  # the recorded events are vendored here, none skipped for missing data
    for path in events:
        assert inside(path), path
        name = "/".join(path.parts[-2:])
        assert conftest.load_event(name) is not None
    readme = conftest.EVENTS / "README.md"
    assert readme.is_file() and "MIT-0" in readme.read_text() and "Apache" in readme.read_text()
