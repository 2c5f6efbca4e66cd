"""`python -m benchmarks.load` (`make load`): the full load test, see runner.py."""

import sys

from benchmarks.load.runner import main

sys.exit(main())
