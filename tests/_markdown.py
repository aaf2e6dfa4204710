"""The project's Markdown (README.md, docs/**/*.md) read by its tests: code blocks and links.

A ``python`` block is run by the tests when an HTML comment (invisible on GitHub and in the
MkDocs site) stands on the line before it::

    <!-- runnable cwd=samples/flask_app get=/api/items -->

``cwd``: the folder (from the repository's top) the block runs in; default, an empty temporary
folder. ``get``: after the block, ``handler`` must answer an HTTP API ``GET`` of that path with a 200.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

_RUNNABLE = re.compile(r"^<!-- runnable(?P<options>[^>]*?)-->\n```python\n(?P<code>.*?)^```", re.DOTALL | re.MULTILINE)
_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_CHECK = """
from lambda_adapter.testing import LambdaContext, event_for, status_of
_result = handler(event_for("http", path={path!r}), LambdaContext())
assert status_of(_result) == 200, _result
"""


@dataclass(frozen=True)
class Block:
    """A runnable ``python`` block: where it is, its code, and how to run it."""

    where: str  # "docs/quickstart.md:12"
    code: str
    cwd: str | None
    get: str | None


def markdown_files() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def runnable_blocks(path: Path) -> list[Block]:
    """The blocks of ``path`` marked runnable."""
    text = path.read_text()
    blocks = []
    for match in _RUNNABLE.finditer(text):
        options = dict(item.split("=", 1) for item in match["options"].split())
        unknown = set(options) - {"cwd", "get"}
        assert not unknown, f"{path}: unknown runnable options {unknown}"
        line = text.count("\n", 0, match.start()) + 1
        where = f"{path.relative_to(ROOT)}:{line}"
        blocks.append(Block(where, match["code"], options.get("cwd"), options.get("get")))
    return blocks


def run_block(block: Block, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``block`` in a fresh interpreter (the repository importable), then its ``get`` check."""
    code = block.code + (_CHECK.format(path=block.get) if block.get else "")
    cwd = ROOT / block.cwd if block.cwd else tmp_path
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip


def code_blocks(path: Path, section: str, language: str) -> list[str]:
    """The ``language`` code blocks of the ``## section`` of ``path`` (the whole file when ``section`` is "")."""
    text = path.read_text()
    if section:
        text = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def relative_links(path: Path) -> list[str]:
    """The link targets of ``path`` that are neither URLs nor anchors of the page itself (code blocks left out)."""
    text = _FENCE.sub("", path.read_text())
    targets = _LINK.findall(text)
    return [target for target in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#", target)]
