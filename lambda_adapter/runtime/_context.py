"""The context object of the runtime loop, shaped as the managed Python runtime (awslambdaric) shapes it.

docs.aws.amazon.com/lambda/latest/dg/python-context.html. Invariants, each as awslambdaric has it, so a
handler written for the managed runtime reads the same values here:
- ``identity`` is always an object (``cognito_identity_id`` / ``cognito_identity_pool_id``, None when the
  invocation has no Cognito identity); ``client_context`` is None or an object with ``custom``, ``env``
  and ``client`` (None or an object with ``installation_id``, ``app_title``, ...), never a dict.
- ``function_name``, ``function_version``, ``log_group_name``, ``log_stream_name`` and
  ``memory_limit_in_mb`` are the ``AWS_LAMBDA_*`` environment values as they are: strings (the memory
  size too), None when unset.
- ``get_remaining_time_in_millis()`` counts down to ``Lambda-Runtime-Deadline-Ms``, never below 0.
- ``w3c()`` is the client context's ``w3c`` object, its ``traceparent``, ``tracestate`` and ``baggage``
  strings only (awslambdaric 4.2's allowlist); ``{}`` when there is none.
- ``trace_id`` (ours, not awslambdaric's) is the invocation's X-Ray trace header. The managed runtime
  sets ``_X_AMZN_TRACE_ID`` per invocation, one at a time per process; when invocations share the
  process (Managed Instances), ``per_invocation_trace_id()`` makes ``os.environ`` answer that key
  from the invocation being served (a context variable) in each thread or task, so the X-Ray SDK and
  the AWS SDKs, which read the environment, still see their own invocation's trace.
"""

from __future__ import annotations

import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class CognitoIdentity:
    """The Amazon Cognito identity of a mobile-SDK invocation (both None otherwise)."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, document: Any = None) -> None:
        fields = document if isinstance(document, dict) else {}
        # the Runtime API header spells them in camelCase
        self.cognito_identity_id = fields.get("cognitoIdentityId", fields.get("cognito_identity_id"))
        self.cognito_identity_pool_id = fields.get("cognitoIdentityPoolId", fields.get("cognito_identity_pool_id"))


class Client:
    """The mobile client application of a client context."""

    __slots__ = ("app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id")

    def __init__(self, fields: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


class ClientContext:
    """The client context a mobile-SDK caller passed: ``custom`` and ``env`` dicts, ``client``."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.custom = fields.get("custom")
        self.env = fields.get("env")
        client = fields.get("client")
        self.client = Client(client) if isinstance(client, dict) else None


class Context:
    """The second argument of the handler, with the managed Python runtime's attributes and methods."""

    def __init__(
        self,
        request_id: str,
        function_arn: str,
        deadline_ms: int,
        client_context: Any = None,
        identity: Any = None,
        tenant_id: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        env = os.environ
        self.aws_request_id = request_id
        self.tenant_id = tenant_id
        self.trace_id = trace_id
        self.invoked_function_arn = function_arn
        self._w3c = _w3c_of(client_context)
        self.client_context = ClientContext(client_context) if isinstance(client_context, dict) else None
        self.identity = CognitoIdentity(identity)
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")  # a str, as awslambdaric gives it
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def w3c(self) -> dict[str, str]:
        """The W3C trace context the caller passed (``traceparent``, ``tracestate``, ``baggage``), as awslambdaric's."""
        return dict(self._w3c)

    def log(self, message: object) -> None:
        """Write ``message`` to the function's log, as ``context.log`` does in the managed runtime."""
        sys.stdout.write(str(message))
        sys.stdout.flush()


def _w3c_of(client_context: Any) -> dict[str, str]:
    """The string fields awslambdaric allows of the client context's ``w3c`` object (its own key, not a field)."""
    document = client_context.get("w3c") if isinstance(client_context, dict) else None
    fields = document if isinstance(document, dict) else {}
    return {key: fields[key] for key in ("traceparent", "tracestate", "baggage") if isinstance(fields.get(key), str)}


TRACE = "_X_AMZN_TRACE_ID"


class _PerInvocation(os._Environ):  # type: ignore[type-arg]
    """``os.environ`` whose ``_X_AMZN_TRACE_ID`` is that of the invocation this thread or task serves."""

    def __getitem__(self, key: str) -> str:
        if key == TRACE:
            from ._log import current

            trace = current.get().trace_id
            if trace is None:
                raise KeyError(key)
            return trace
        return super().__getitem__(key)  # type: ignore[no-any-return]


def per_invocation_trace_id() -> None:
    """Make ``os.environ[_X_AMZN_TRACE_ID]`` per invocation (the same object: ``from os import environ`` too)."""
    os.environ.pop(TRACE, None)
    os.environ.__class__ = _PerInvocation
