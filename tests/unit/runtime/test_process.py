"""Service processes collect cycles rarely and never rescan what start-up built."""

from __future__ import annotations

import json
import subprocess
import sys

from services.runtime.process import GEN0_THRESHOLD

_PROBE = """
import gc, json
from services.runtime.process import tune_gc
before = gc.get_threshold()
tune_gc()
tune_gc()  # idempotent: a second call changes nothing
print(json.dumps({"before": before, "after": gc.get_threshold(),
                  "frozen": gc.get_freeze_count()}))
"""


def test_tune_gc_raises_the_young_threshold_and_freezes_start_up_objects() -> None:
    # In a child process: the collector's settings are process-wide.
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         check=True)
    probe = json.loads(out.stdout)
    assert probe["before"][0] < GEN0_THRESHOLD
    assert probe["after"] == [GEN0_THRESHOLD, *probe["before"][1:]]
    assert probe["frozen"] > 1000  # the modules and models imported so far
