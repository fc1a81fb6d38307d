"""`make bench`: foundation and reporting benchmarks on one embedded stack."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench.context import machine_context
from polku.infra import start_infrastructure
from services.runtime.process import tune_gc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["foundation", "reporting"], default=None)
    args = parser.parse_args()

    def report(line: str) -> None:
        print(line, flush=True)

    report(f"machine: {machine_context()}")
    # This process hosts the consumers and the replay, as `polku serve` and `polku replay`
    # host them: with their garbage-collector settings.
    tune_gc()
    # Durable PostgreSQL (fsync on), unlike the test stack: figures must mean something.
    infra = start_infrastructure(ephemeral=True, durable=True,
                                 report=lambda line: print(f"[stack] {line}"))
    try:
        if args.only in (None, "foundation"):
            from bench.foundation import run_foundation

            asyncio.run(run_foundation(infra, report, args.repeats))
        if args.only in (None, "reporting"):
            from bench.reporting import run_reporting

            asyncio.run(run_reporting(infra, report, args.repeats))
    finally:
        infra.stop()


if __name__ == "__main__":
    sys.exit(main())
