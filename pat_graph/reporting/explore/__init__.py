"""A static HTML explorer of a run database: runs, problems and each problem's solve tree.

`await write_site(db, out)` (or `pat-graph explore --out DIR`) writes plain HTML with its own
small script and stylesheet copied next to the pages, so the site opens from the file system
with no server and no network.
"""

from pat_graph.reporting.explore.site import write_site

__all__ = ["write_site"]
