"""The in-sandbox harness: stdlib-only modules that run as a script, never imported by the host.

What runs where: `zygote` is the warm worker (reads jobs, gives each candidate fresh namespaces,
relays verdicts); `protocol` is the parent side of one candidate's tests and calls (forks,
captures, deadlines, sweeps); `child` is the forked process that loads the candidate; `plain`
turns values into plain data for the host's comparison; `privileges`, `wipe` and `state` are
what several of them share. `__main__` loads this directory as the package `pat_harness` by its
path (with ``python -I`` the script's directory is not on `sys.path`) and starts the zygote.
"""
