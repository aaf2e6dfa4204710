"""A handler module that cannot be imported: the runtime loop reports it to /init/error."""

import a_module_that_does_not_exist  # noqa: F401

handler = None
