"""The child side of ``lambda-adapter coldstart``: one fresh interpreter, run as a script under ``-X importtime``.

Invariants:
- Nothing is imported before the handler module but what the interpreter loaded at startup
  (``sys``, ``os``, ``time``), so every module the handler pulls in is logged under it.
- The figures go as JSON to the file named on the command line, never to stdout or stderr,
  which belong to the app (and to ``-X importtime``).
- Each phase starts with a ``MARK`` line on stderr, so the parent can tell the import's
  import-time lines from those of the first event (the framework's lazy imports).
"""

from __future__ import annotations

import os
import sys
import time

MARK = "lambda-adapter-coldstart phase:"


class _Context:
    """The Lambda context as the Python runtime gives it, without importing anything."""

    function_name = "coldstart"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:coldstart"
    memory_limit_in_mb = 1024
    log_group_name = "/aws/lambda/coldstart"
    log_stream_name = "coldstart"

    def __init__(self, number: int) -> None:
        self.aws_request_id = f"coldstart-{number:06d}"
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def peak_rss_kib() -> int:
    """This process's peak resident memory in KiB: VmHWM, which starts anew at exec (ru_maxrss may keep the
    peak of the parent that forked it, before the exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):  # no procfs (macOS): the portable figure
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _mark(figures: dict[str, object], phase: str) -> None:
    figures["phase"] = phase
    sys.stderr.flush()
    sys.stderr.write(f"{MARK} {phase}\n")
    sys.stderr.flush()


def _status(result: object) -> object:
    return result.get("statusCode", result.get("status")) if isinstance(result, dict) else None


def measure(
    figures: dict[str, object], folder: str, module_name: str, attribute: str, event_path: str, warm: int
) -> None:
    """Import the handler, answer the event once cold and ``warm`` times more, into ``figures``."""
    sys.path.insert(0, folder)
    _mark(figures, "import")
    start = time.perf_counter()
    __import__(module_name)
    figures["phase"] = "lookup"  # no mark: the attribute lookup imports nothing
    target: object = sys.modules[module_name]
    for part in attribute.split("."):
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{module_name}:{attribute} is a {type(target).__name__}, not a callable handler")
    figures["import_s"] = time.perf_counter() - start
    import json

    figures["rss_after_import_kib"] = peak_rss_kib()
    with open(event_path, encoding="utf-8") as file:
        event = json.load(file)
    handler = target
    _mark(figures, "first-event")
    start = time.perf_counter()
    result = handler(event, _Context(0))
    figures["first_event_s"] = time.perf_counter() - start
    figures["status"] = _status(result)
    _mark(figures, "warm")
    durations = []
    for number in range(1, warm + 1):
        start_ns = time.perf_counter_ns()
        handler(event, _Context(number))
        durations.append(time.perf_counter_ns() - start_ns)
    figures["warm_ns"] = durations
    figures["peak_rss_kib"] = peak_rss_kib()


def main(argv: list[str]) -> int:
    """``probe FOLDER MODULE ATTRIBUTE EVENT_FILE WARM OUT_FILE``: measure, write the figures to OUT_FILE."""
    folder, module_name, attribute, event_path, warm, out_path = argv
    figures: dict[str, object] = {"started_at": time.time()}
    status = 0
    try:
        measure(figures, folder, module_name, attribute, event_path, int(warm))
    except BaseException as exc:  # the parent explains it: the figures say where it failed
        import traceback

        figures.update(error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc())
        if isinstance(exc, ModuleNotFoundError):
            figures["missing"] = exc.name
        status = 1
    import json

    with open(out_path, "w", encoding="utf-8") as file:
        json.dump(figures, file)
    return status


if __name__ == "__main__":
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # run as a script: this package's folder must not shadow the user's modules
    sys.exit(main(sys.argv[1:]))
