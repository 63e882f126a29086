"""Allow ``python -m itp_stats``."""

from itp_stats.cli import main

raise SystemExit(main())
