"""`python -m echotune` is the `echotune` command."""

import sys

from echotune.cli import main

sys.exit(main())
