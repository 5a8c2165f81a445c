"""`python -m inbound.cli`: the `inbound` command without its console script."""

import sys

from inbound.cli.main import main

sys.exit(main())
