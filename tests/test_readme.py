"""The README, the front page: its examples run as written, and it keeps what a new user needs first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._markdown import ROOT, Block, code_blocks, run_block, runnable_blocks

README = ROOT / "README.md"


@pytest.mark.parametrize("block", runnable_blocks(README), ids=lambda block: block.where)
def test_python_examples_run(block: Block, tmp_path: Path) -> None:
    done = run_block(block, tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_quickstart_is_runnable() -> None:
    assert [block.get for block in runnable_blocks(README)] == ["/api/items"]


def test_the_two_commands_and_what_they_need() -> None:
    (commands,) = code_blocks(README, "Fresh machine: the two commands", "sh")
    assert "bash tasks.sh samples" in commands and "bash tasks.sh test" in commands
    needs = README.read_text().split("## Fresh machine", 1)[1].split("\n## ", 1)[0]
    for need in ("Python 3.10", "npm", "Chromium", "440 MB", "apt-get"):
        assert need in needs


def test_install_names_the_distribution_and_quotes_extras() -> None:
    (install,) = code_blocks(README, "Install", "sh")
    assert "pip install 'lambda-adapter[local]'" in install
    assert "pip install 'lambda-adapter @ git+https://" in install


def test_the_layout_section_names_every_folder_of_the_package() -> None:
    """README "Layout": one row per folder of the package, so a new folder cannot go undocumented."""
    section = README.read_text().split("\n## Layout\n")[1].split("\n## ")[0]
    package = README.parent / "lambda_adapter"
    folders = sorted(path.parent.name for path in package.glob("*/__init__.py"))
    assert folders and all(f"`lambda_adapter/{name}/`" in section for name in folders)
