"""``python -m lambda_adapter``: the same command line as the ``lambda-adapter`` script."""

from ._cli import main

raise SystemExit(main())
