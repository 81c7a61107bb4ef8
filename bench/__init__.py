"""Benchmarks: `python -m bench.<name>`, each printing a table (see the README)."""

import os

from server import PROCESS_ENV

# The server's process settings, before anything here loads numpy: with OpenBLAS's default thread
# per core, an engine timed "on one core" (bench.engine) kept a second core busy spinning, 32 ms
# of CPU to a 16 ms frame, which the server does not (server.py)
for _name, _value in PROCESS_ENV.items():
    os.environ.setdefault(_name, _value)
