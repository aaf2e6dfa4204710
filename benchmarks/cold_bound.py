"""How low a sample's cold start could go with today's features: only the code its first event runs,
loaded from one module or from as many as a layout puts on that path.

``bundled`` (``_instructions_target.py``) is today's code without importlib. This goes one step
further, to the bound of any redesign that keeps every feature: it traces what a fresh interpreter
runs of ours to import the sample and answer its first REST event (functions, methods, classes),
writes that code alone, from our source, into synthetic modules, and counts under callgrind what
loading them adds after the framework is imported. Today's modules, imported the same way, are the
comparison. Only loading depends on the layout: ``adapt()`` and the first event run the same code in
any layout, so the projection adds what they cost today (``ours`` less today's loading).

Run: ``python benchmarks/cold_bound.py [flask|fastapi]`` (needs valgrind; a few minutes).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import instructions
from _instructions_target import COLD_MODULES, ROOT, _dotted

PACKAGE = ROOT / "lambda_adapter"
FRAMEWORK_IMPORT = {"flask": "flask", "fastapi": "fastapi"}
# what the trace runs: the sample imported and its first event answered, as the cold kinds do
_TRACE = """
import json, sys
sys.path.insert(0, {benchmarks!r})
import _instructions_target as target
sys.path.insert(0, {sample!r})
ran = set()
def note(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.startswith({package!r}):
        ran.add((frame.f_code.co_filename[len({package!r}) + 1:], frame.f_code.co_qualname))
sys.setprofile(note)
import app
assert app.handler(target.rest_items_event(), target.Context())["statusCode"] == 200
sys.setprofile(None)
print(json.dumps(sorted(ran)))
"""


def traced(framework: str) -> set[tuple[str, str]]:
    """(file under lambda_adapter/, qualified name) of every function, method and class body of ours the
    sample's import and first event run."""
    script = _TRACE.format(benchmarks=str(ROOT / "benchmarks"), sample=str(ROOT / "samples" / f"{framework}_app"),
                           package=str(PACKAGE))  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    return {(path, name) for path, name in json.loads(done.stdout.splitlines()[-1])}


def run_code(ran: set[tuple[str, str]]) -> list[ast.stmt]:
    """What ran, top-level definitions in our modules' order: classes with only the methods that ran,
    their plain attributes kept; decorators and default values dropped (they name things of the module,
    and cost the same wherever the code lives)."""
    files = sorted({path for path, _ in ran}, key=_order)
    pieces = []
    for path in files:
        names = {name for file, name in ran if file == path}
        for node in ast.parse((PACKAGE / path).read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name in names:
                pieces.append(_stripped(node, names))
    return pieces


def _order(path: str) -> int:
    order = [name + ".py" for framework in COLD_MODULES.values() for name in framework]
    return order.index(path) if path in order else len(order)


def _stripped(node: ast.stmt, names: set[str]) -> ast.stmt:
    if isinstance(node, ast.ClassDef):
        kept: list[ast.stmt] = []
        for part in node.body:
            if isinstance(part, ast.FunctionDef | ast.AsyncFunctionDef):
                if f"{node.name}.{part.name}" in names:
                    kept.append(_stripped(part, names))
            elif isinstance(part, ast.Assign | ast.AnnAssign) and part.value is not None and _literal(part.value):
                kept.append(part)
        node.body = kept or [ast.Pass()]
        node.bases = [base if isinstance(base, ast.Name) else ast.Name("object") for base in node.bases]
        node.keywords = []
    else:
        node.args.defaults = [ast.Constant(None) for _ in node.args.defaults]
        node.args.kw_defaults = [ast.Constant(None) if default else None for default in node.args.kw_defaults]
    node.decorator_list = []
    return node


def _literal(value: ast.expr) -> bool:
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return False
    return True


def write_package(folder: Path, name: str, pieces: list[ast.stmt], modules: int) -> list[str]:
    """``pieces`` split into ``modules`` modules of package ``name``, in order (a class goes with the
    class it derives from); the dotted names to import."""
    (folder / name).mkdir()
    (folder / name / "__init__.py").write_text("")
    group_of: dict[str, int] = {}
    groups: list[list[str]] = [[] for _ in range(modules)]
    for index, piece in enumerate(pieces):
        group = index * modules // len(pieces)
        if isinstance(piece, ast.ClassDef):
            group = next((group_of[b.id] for b in piece.bases if isinstance(b, ast.Name) and b.id in group_of), group)
            group_of[piece.name] = group
        groups[group].append(ast.unparse(piece))
    for index, group_text in enumerate(groups):
        (folder / name / f"m{index}.py").write_text("from __future__ import annotations\n\n" + "\n\n".join(group_text))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder / name)], check=True)
    return [f"{name}.m{index}" for index in range(modules)]


def load_count(framework: str, folder: str, modules: list[str]) -> int:
    """Instructions for a fresh interpreter that imports the framework, then ``modules``."""
    script = (f"import os, sys\nsys.path.insert(0, {folder!r})\nimport {FRAMEWORK_IMPORT[framework]}\n"
              f"for name in {modules!r}:\n    __import__(name)\nsys.stdout.flush()\nos._exit(0)\n")  # fmt: skip
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"})
    return int(next(line for line in done.stderr.splitlines() if "Collected" in line).split()[-1])


def main() -> None:
    framework = sys.argv[1] if len(sys.argv) > 1 else "flask"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(PACKAGE)], check=True)
    pieces = run_code(traced(framework))
    today = [_dotted(name) for name in COLD_MODULES[framework]]
    with tempfile.TemporaryDirectory() as folder:
        layouts = {count: write_package(Path(folder), f"bound{count}", pieces, count) for count in (1, 3, 6)}
        floor = load_count(framework, folder, [])
        loads = {count: load_count(framework, folder, names) - floor for count, names in layouts.items()}
        today_load = load_count(framework, str(ROOT), today) - floor
    cold_floor = instructions.cold(f"{framework}-floor")
    ours = instructions.cold(f"{framework}-ours") - cold_floor
    peer = "apig" if framework == "flask" else "mangum"
    theirs = instructions.cold(f"{framework}-{peer}") - cold_floor
    run = ours - today_load  # adapt() and the first event: the same in any layout
    print(f"{framework}: the first event runs {len(pieces)} top-level definitions of ours; {peer} adds {theirs:,}")
    print(f"  today, {len(today)} modules: loading {today_load:,}, cold start adds {ours:,} ({ours / theirs:.2f} x)")
    for count, load in loads.items():
        print(f"  that code alone, in {count} module(s) of one package: loading {load:,}, "
              f"projected {load + run:,} ({(load + run) / theirs:.2f} x)")  # fmt: skip


if __name__ == "__main__":
    main()
