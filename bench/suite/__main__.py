"""``python -m bench.suite``: the suite command (see :mod:`bench.suite.cli`)."""

from bench.suite.cli import main

raise SystemExit(main())
