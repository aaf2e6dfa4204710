"""Run WSGI and ASGI web apps on AWS Lambda, unchanged: ``handler = adapt(app)``."""

from ._adapt import adapt as adapt
from ._model import EventFailed as EventFailed
from ._model import InvalidResponse as InvalidResponse
from ._model import LifespanFailure as LifespanFailure
from ._model import UnsupportedEvent as UnsupportedEvent

__all__ = ["EventFailed", "InvalidResponse", "LifespanFailure", "UnsupportedEvent", "adapt", "testing"]


def __getattr__(name: str) -> object:
    if name == "testing":  # imported on first use: it costs start-up time nobody else pays
        import importlib  # not "from . import testing": its hasattr() check would call this again

        return importlib.import_module(f"{__name__}.testing")
    raise AttributeError(f"module 'lambda_adapter' has no attribute {name!r}")
