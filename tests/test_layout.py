"""The package's layout: folders by layer, no import cycles, a small top level (README "Layout").

The layer contracts themselves are import-linter's (``lint-imports``, configured in pyproject.toml);
these tests hold what import-linter does not check.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lambda_adapter"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("lambda_adapter", exclude_type_checking_imports=False)


def test_no_module_imports_one_that_imports_it_back(graph: grimp.ImportGraph) -> None:
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                cycles.append(" -> ".join((module, *back)))
    assert cycles == []


def test_a_cycle_would_be_found() -> None:
    """The check above can fail: an import from the model back to a runner closes a loop."""
    changed = grimp.build_graph("lambda_adapter", exclude_type_checking_imports=False)
    changed.add_import(importer="lambda_adapter._model", imported="lambda_adapter._run.wsgi")
    assert changed.find_shortest_chain(importer="lambda_adapter._run.wsgi", imported="lambda_adapter._model")
    assert changed.find_shortest_chain(importer="lambda_adapter._model", imported="lambda_adapter._run.wsgi")


def test_at_most_twelve_modules_at_the_top() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top


def test_every_folder_is_a_package_the_distribution_ships() -> None:
    folders = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    loose = {path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"}
    assert loose == folders
