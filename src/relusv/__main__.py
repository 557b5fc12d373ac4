"""``python -m relusv``: the ``relusv`` command (:mod:`relusv.cli`)."""

import sys

from relusv.cli import main

sys.exit(main())
