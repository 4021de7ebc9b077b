"""`python -m bridge` is the same as the `isolarcloud2mqtt` command."""

import sys

from bridge.cli import main

sys.exit(main())
