"""bench/engine.py run as a user runs it: its table, its budget line, its machine reference and what a
switch costs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_engine_bench_prints_each_clips_stages_the_budget_and_the_machines_reference():
    done = subprocess.run([sys.executable, "-m", "bench.engine", "--frames", "12", "--size", "640x480",
                           "--switches", "eyes=False"],
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
    # what a switch costs: both clips, the engine as it is and switched, in turn in one process
    costs = [line.split() for line in out.splitlines() if line.startswith("eyes=False ")]
    assert [row[1] for row in costs] == ["t1-centre->astronaut", "astronaut->t1-centre"], out
    for _, _, as_is, switched, saved, _ in costs:
        assert float(as_is) > 0 and float(switched) > 0, out
        assert abs(float(as_is) - float(switched) - float(saved)) < 0.011, out


def test_a_switch_the_mesh_engine_does_not_take_is_refused_with_the_names_it_does():
    done = subprocess.run([sys.executable, "-m", "bench.engine", "--switches", "eyes=False,colour=1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--switches: 'colour=1' is not a MeshEngine switch as name=value" in done.stderr
    assert "eyes" in done.stderr.split("names:")[1]


@pytest.mark.parametrize("face", [0.35, 0.47])
def test_the_clips_face_is_as_wide_as_asked_of_the_frames_height(mesh_engine, astronaut, face):
    from bench.engine import webcam_clip

    first = webcam_clip(mesh_engine, astronaut, (640, 480), 1, face)[0]
    x0, _, x1, _ = mesh_engine.detect(first)[0].box
    assert (x1 - x0) / 480 == pytest.approx(face, rel=0.1)
