"""Progress bars for long operations (replay, key rotation): one bar per phase."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TimeRemainingColumn

PhaseProgress = Callable[[str, int, int], None]


@contextlib.contextmanager
def phased_progress(labels: dict[str, str] | None = None) -> Iterator[PhaseProgress]:
    """Yields `progress(phase, done, total)`; each new phase gets its own labelled bar."""
    labels = labels or {}
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn()) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(labels.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield progress
