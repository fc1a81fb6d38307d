"""Process-wide settings for a long-running Polku process (a service, a relay, a replay).

The hot paths (consumer intake, relay, projections) allocate many short-lived container
objects per event: parsed JSON, pydantic models, asyncpg records. With CPython's default
generation-0 threshold (700 allocations) the cyclic collector then runs every few events
and, worse, promotes whole in-flight batches into the older generations, whose collections
walk everything alive. Measured on the consumer's parse path (`bench/`), the default
settings cost about a third of its time. Almost none of these objects form cycles (they are
freed by reference counting), so collecting less often loses nothing but a little memory.
"""

from __future__ import annotations

import gc

# Allocations between generation-0 collections: large enough that a batch of several
# thousand events is parsed without a collection, small enough to bound the garbage that
# cycles could hold (tens of megabytes at most).
GEN0_THRESHOLD = 50_000

_tuned = False


def tune_gc() -> None:
    """Collect cycles less often, and stop scanning what start-up built (modules, models).

    Idempotent; call it once the process has imported what it needs.
    """
    global _tuned
    if _tuned:
        return
    gc.collect()
    gc.freeze()  # start-up objects live for the whole process: never scan them again
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
    _tuned = True
