"""`make bench`: foundation, reporting and indicator benchmarks on one embedded stack.

The indicator part loads a generated history (bench/scale) and times every indicator; in the
default run at 200,000 events, with `--only indicators` at 1,000,000, or at `--events N`
(or POLKU_BENCH_INDICATOR_EVENTS), e.g. `python -m bench --only indicators --events 10000000`
for the national scale (about 10 minutes to load; the query figures take longer).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.context import machine_context
from polku.infra import start_infrastructure
from services.runtime.process import tune_gc

DEFAULT_RUN_INDICATOR_EVENTS = 200_000
ONLY_INDICATOR_EVENTS = 1_000_000


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["foundation", "reporting", "indicators"],
                        default=None)
    indicators = parser.add_argument_group("indicators")
    indicators.add_argument(
        "--events", type=int, default=None,
        help=f"events of the generated history (default {DEFAULT_RUN_INDICATOR_EVENTS:,}, "
             f"with --only indicators {ONLY_INDICATOR_EVENTS:,}; "
             "env POLKU_BENCH_INDICATOR_EVENTS)")
    indicators.add_argument("--seed", type=int, default=7)
    indicators.add_argument("--calls", type=int, default=7,
                            help="calls per query for median and p95 (default 7)")
    indicators.add_argument("--budget", type=float, default=20.0,
                            help="at most this many seconds of calls per query (default 20)")
    indicators.add_argument("--timeout", type=float, default=60.0,
                            help="a call that takes longer counts as '> TIMEOUT s' (default 60)")
    indicators.add_argument("--rows", type=Path, default=None,
                            help="write every query's exact rows here (compare two such "
                                 "files with python -m bench.rows compare A B)")
    indicators.add_argument("--quick", action="store_true",
                            help="only each indicator without group_by, as of a month back "
                                 "(for code too slow for the whole matrix)")
    indicators.add_argument("--results", type=Path, default=None,
                            help="also write the indicator figures to this text file")
    return parser.parse_args()


def _indicator_events(args: argparse.Namespace) -> int:
    if args.events is not None:
        return int(args.events)
    if "POLKU_BENCH_INDICATOR_EVENTS" in os.environ:
        return int(os.environ["POLKU_BENCH_INDICATOR_EVENTS"])
    return ONLY_INDICATOR_EVENTS if args.only == "indicators" else DEFAULT_RUN_INDICATOR_EVENTS


def main() -> None:
    args = _arguments()

    def report(line: str) -> None:
        print(line, flush=True)

    machine = machine_context()
    report(f"machine: {machine}")
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
        if args.only in (None, "indicators"):
            from bench.indicators import IndicatorBench, run_indicators

            bench = IndicatorBench(
                events=_indicator_events(args), seed=args.seed, repeats=args.calls,
                budget=args.budget, timeout=args.timeout, rows_file=args.rows,
                quick=args.quick)
            lines = asyncio.run(run_indicators(infra, report, bench))
            if args.results is not None:
                args.results.parent.mkdir(parents=True, exist_ok=True)
                args.results.write_text("\n".join([
                    f"python -m bench {' '.join(sys.argv[1:])}",
                    f"at {datetime.now(UTC).isoformat(timespec='seconds')} on {machine}",
                    *lines]) + "\n")
    finally:
        infra.stop()


if __name__ == "__main__":
    main()
