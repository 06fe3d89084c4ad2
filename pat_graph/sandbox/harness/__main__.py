"""Entry point of the sandbox harness: ``python -I -B <this dir>/__main__.py CONFIG``.

Isolated mode puts neither this directory nor PYTHONPATH on `sys.path`, so the sibling modules
are loaded explicitly, by path, as the package `pat_harness` (and only from this directory).
"""

import importlib.util
import os
import sys


def _load_package(name="pat_harness"):
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(here, "__init__.py"), submodule_search_locations=[here]
    )
    package = importlib.util.module_from_spec(spec)
    sys.modules[name] = package
    spec.loader.exec_module(package)
    return package


if __name__ == "__main__":
    _load_package()
    from pat_harness import zygote

    zygote.main()
