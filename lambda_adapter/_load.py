"""Loading the handler a ``MODULE:HANDLER`` string names: below both the CLI and the runtime loop.

One parser for every place a handler is named (``lambda-adapter serve|invoke|coldstart``, the
runtime loop's argument or ``$_HANDLER``): ``module:attr``, ``module.attr`` (as Lambda's Handler
setting writes it), ``path/to/module.attr`` and ``path/to/file.py:attr``.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import Any


class UsageError(Exception):
    """A mistake in what the user asked for; its message is all the user sees."""


class NotCallable(UsageError):
    """The handler named is there but cannot be called."""


def split_spec(spec: str) -> tuple[str, str]:
    """MODULE and HANDLER of ``MODULE:HANDLER``, ``MODULE.HANDLER`` or ``path/to/module.handler``; a
    ``FILE.py:HANDLER`` keeps its file path as MODULE."""
    module_name, colon, attribute = spec.partition(":")
    if not colon:
        module_name, _, attribute = spec.rpartition(".")
    if not module_name.endswith(".py"):
        module_name = module_name.replace("/", ".")  # Lambda's Handler setting may name the module by its path
    if not module_name or not attribute:
        raise UsageError(f"expected MODULE:HANDLER such as 'app:handler', got {spec!r}")
    return module_name, attribute


def load_handler(spec: str, *, search_path: str | None = None) -> Callable[..., Any]:
    """The callable named by ``spec`` (see ``split_spec``), imported with ``search_path`` (default: the
    working directory) first on ``sys.path``."""
    module_name, attribute = split_spec(spec)
    folder = os.path.abspath(search_path or os.getcwd())
    if module_name.endswith(".py"):  # a file: its folder first on sys.path, its name the module
        folder, file_name = os.path.split(os.path.normpath(os.path.join(folder, module_name)))
        module_name = file_name[: -len(".py")]
    if not sys.path or sys.path[0] != folder:  # first, even when it is further down: a module of that name
        if folder in sys.path:  # in a folder before it is not the one meant
            sys.path.remove(folder)
        sys.path.insert(0, folder)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name + ".").startswith(exc.name + "."):  # the module or a package on its way
            raise UsageError(f"cannot import module {module_name!r} (looked in {folder} and sys.path)") from exc
        raise
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise UsageError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not callable(target):
        raise NotCallable(f"{spec!r} is a {type(target).__name__}, not a callable handler")
    return target  # type: ignore[no-any-return]
