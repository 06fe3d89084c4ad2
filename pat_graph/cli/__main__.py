"""`python -m pat_graph.cli`: how `run --workers N` starts its worker processes."""

import sys

from pat_graph.cli.main import main

sys.exit(main())
