"""Machine context printed beside every figure, and the median-of-runs helper."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Awaitable, Callable


def machine_context() -> str:
    cpu = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) // 1024 // 1024} GiB"
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {java.splitlines()[0] if java else 'no java'}"
    )


async def median_rate(
    run: Callable[[], Awaitable[tuple[int, float]]], repeats: int
) -> tuple[float, list[float]]:
    """Run `repeats` times; each run returns (events, seconds). Median events/s and all rates."""
    rates = []
    for _ in range(repeats):
        events, seconds = await run()
        rates.append(events / seconds)
    return statistics.median(rates), rates


def fmt(rate: float) -> str:
    return f"{rate:,.0f} events/s"
