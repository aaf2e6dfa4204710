"""The command line's shared parts: loading MODULE:HANDLER with clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lambda_adapter._load import UsageError, load_handler


@pytest.fixture
def module_dir(tmp_path: Path) -> Path:
    (tmp_path / "cli_target_mod.py").write_text("def handler(event, context):\n    return 'ok'\nvalue = 3\n")
    return tmp_path


def test_loads_module_colon_attribute(module_dir: Path) -> None:
    assert load_handler("cli_target_mod:handler", search_path=str(module_dir))({}, None) == "ok"


def test_loads_lambda_style_dotted_name(module_dir: Path) -> None:
    assert load_handler("cli_target_mod.handler", search_path=str(module_dir))({}, None) == "ok"


def test_loads_a_file_path(module_dir: Path) -> None:
    """``./app.py:handler`` names a file: its folder is searched, its stem is the module."""
    (module_dir / "sub").mkdir()
    (module_dir / "sub" / "cli_file_mod.py").write_text("def handler(event, context):\n    return 'file'\n")
    assert load_handler("./sub/cli_file_mod.py:handler", search_path=str(module_dir))({}, None) == "file"


def test_loads_lambda_style_module_path(module_dir: Path) -> None:
    """Lambda's Handler setting may name a module in a package by its path: ``pkg/mod.handler``."""
    (module_dir / "cli_pkg").mkdir()
    (module_dir / "cli_pkg" / "__init__.py").write_text("")
    (module_dir / "cli_pkg" / "inner.py").write_text("def handler(event, context):\n    return 'pkg'\n")
    assert load_handler("cli_pkg/inner.handler", search_path=str(module_dir))({}, None) == "pkg"


def test_the_search_path_comes_first_even_when_sys_path_holds_it_further_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same module name in a folder earlier on sys.path is not the one meant (found by a test
    order in which another sample's folder, with its own app.py, came first)."""
    meant, other = tmp_path / "meant", tmp_path / "other"
    for folder, answer in ((meant, "meant"), (other, "other")):
        folder.mkdir()
        (folder / "cli_twin_mod.py").write_text(f"def handler(event, context):\n    return {answer!r}\n")
    monkeypatch.setattr(sys, "path", [str(other), str(meant), *sys.path])
    monkeypatch.delitem(sys.modules, "cli_twin_mod", raising=False)
    assert load_handler("cli_twin_mod:handler", search_path=str(meant))({}, None) == "meant"
    assert sys.path.count(str(meant)) == 1 and sys.path[0] == str(meant)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nohandler", "expected MODULE:HANDLER"),
        ("./missing_file.py:handler", "cannot import module 'missing_file'"),
        ("no_such_module_xyz:handler", "cannot import module 'no_such_module_xyz'"),
        ("cli_target_mod:missing", "has no attribute 'missing'"),
        ("cli_target_mod:value", "not a callable handler"),
    ],
)
def test_wrong_spec_is_a_usage_error(module_dir: Path, spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_handler(spec, search_path=str(module_dir))


def test_module_failing_inside_is_not_hidden(tmp_path: Path) -> None:
    (tmp_path / "cli_broken_mod.py").write_text("import no_such_dependency_xyz\n")
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        load_handler("cli_broken_mod:handler", search_path=str(tmp_path))


def test_python_dash_m_prints_usage() -> None:
    done = subprocess.run([sys.executable, "-m", "lambda_adapter", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "usage: lambda-adapter" in done.stdout


def test_a_missing_dependency_named_like_the_start_of_the_module_is_not_hidden(tmp_path: Path) -> None:
    (tmp_path / "cli_prefix_mod_app.py").write_text("import cli_prefix_mod\n")  # the dependency is missing
    with pytest.raises(ModuleNotFoundError, match="'cli_prefix_mod'"):
        load_handler("cli_prefix_mod_app:handler", search_path=str(tmp_path))
    (tmp_path / "cli_pkg_x").mkdir()
    with pytest.raises(UsageError, match=r"cannot import module 'cli_pkg_x\.nothing'"):
        load_handler("cli_pkg_x.nothing:handler", search_path=str(tmp_path))


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    # `lambda-adapter event | head -c 1`: the reader is gone before the event is written
    command = [sys.executable, "-m", "lambda_adapter", "event", "--path", "/" + "a" * 100_000]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # before the child has even started: its first write finds no reader
        errors = process.stderr.read().decode()
        status = process.wait(30)
    assert status == 1
    assert errors == "", errors  # no traceback, no "Exception ignored" at exit
