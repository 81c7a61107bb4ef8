"""bench/engine.py run as a user runs it: its table, its budget line and its machine reference."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_engine_bench_prints_each_clips_stages_the_budget_and_the_machines_reference():
    done = subprocess.run([sys.executable, "-m", "bench.engine", "--frames", "12", "--size", "640x480"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    rows = [line for line in out.splitlines() if line.startswith("640x480 ") and "->" in line]
    assert len(rows) == 2, out  # both clips: t1's face onto the astronaut's frames, and back
    assert all(float(line.split()[4]) == 1.0 for line in rows), out  # a face swapped in every frame
    assert re.search(r"640x480 one face, total median \d+\.\d\d ms \(target <= 15 ms\)", out), out
    reference = re.search(r"machine reference: FaceMesh alone on a 256 px crop, median (\d+\.\d\d) ms "
                          r"\(the machine's speed", out)
    assert reference and 0.0 < float(reference.group(1)) < 1000.0, out
