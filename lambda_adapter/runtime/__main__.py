"""``python -m lambda_adapter.runtime [MODULE:HANDLER]``: the runtime loop as a bootstrap or exec wrapper."""

import sys

from ._loop import main

sys.exit(main())
