"""The documentation site (mkdocs.yml, docs/): it builds strictly, its examples run, its links lead somewhere."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests._markdown import DOCS, ROOT, Block, code_blocks, markdown_files, relative_links, run_block, runnable_blocks

PAGES = sorted(DOCS.rglob("*.md"))
BLOCKS = [block for page in PAGES for block in runnable_blocks(page)]
MIGRATIONS = ("mangum", "apig-wsgi", "serverless-wsgi", "zappa")


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs is not installed (the docs extra)")
def test_site_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for page in ("index.html", "quickstart/index.html", *(f"migrating/{name}/index.html" for name in MIGRATIONS)):
        assert (tmp_path / "site" / page).is_file()


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.where)
def test_python_examples_run(block: Block, tmp_path: Path) -> None:
    done = run_block(block, tmp_path)
    assert done.returncode == 0, done.stderr


def test_each_quickstart_answers() -> None:
    quickstarts = runnable_blocks(DOCS / "quickstart.md")
    assert [block.get for block in quickstarts] == ["/api/items"] * 3
    fastapi = quickstarts[2].code
    assert "async def lifespan(" in fastapi and "FastAPI(lifespan=lifespan)" in fastapi


@pytest.mark.parametrize("page", markdown_files(), ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_lead_to_files(page: Path) -> None:
    missing = []
    for target in relative_links(page):
        path = target.partition("#")[0]
        if not (page.parent / path).exists():
            missing.append(target)
    assert not missing, f"{page.relative_to(ROOT)} links to files that do not exist: {missing}"


def test_every_migration_page_maps_options_and_shows_before_and_after() -> None:
    for name in MIGRATIONS:
        text = (DOCS / "migrating" / f"{name}.md").read_text()
        assert "## Options" in text and "## Before and after" in text and "## What differs" in text, name


def test_event_and_invoke_examples_run(tmp_path: Path) -> None:
    """The one-event-at-a-time commands of docs/local-development.md, run from samples/flask_app."""
    (serve, one_at_a_time) = code_blocks(DOCS / "local-development.md", "", "sh")
    assert "lambda-adapter serve app:handler --format rest --stage dev" in serve  # run by tests/test_serve.py
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "lambda-adapter").exists(), "the console script is installed next to the interpreter"
    flask = ROOT / "samples" / "flask_app"
    script = f"set -euo pipefail\ncd {flask}\n" + one_at_a_time.replace("event.json", str(tmp_path / "event.json"))
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('"statusCode": 200') == 2


def test_template_snippets_are_the_samples_own() -> None:
    """A YAML block after ``<!-- from samples/X/template.yaml -->`` is a part of that template, word for word,
    so cfn-lint checks it there (tests/test_package.py)."""
    import re

    marked = re.compile(r"^<!-- from (?P<file>\S+) -->\n```yaml\n(?P<block>.*?)^```", re.DOTALL | re.MULTILINE)
    found = [(page, match) for page in PAGES for match in marked.finditer(page.read_text())]
    assert any(page.name == "streaming.md" for page, _ in found)  # the REST API's streaming integration
    for page, match in found:
        template = (ROOT / match["file"]).read_text()
        assert match["block"] in template, f"{page.name}: the snippet is not in {match['file']}"
