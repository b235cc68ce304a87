"""Progress bars and one-line summaries on the terminal (rich), silent with ``--quiet``; and the build log.

The log (``keras-atlas.log`` next to the cache) gets every summary line and warning with a time stamp, quiet
or not, so a CI run that printed nothing still leaves a record of what it did and how long it took.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path



class Reporter:
    """Shows a bar per backbone with a time estimate, and a summary line when each finishes."""

    def __init__(self, quiet: bool = False, log_file: Path | None = None) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.console = Console(stderr=True, quiet=quiet)
        self.log_file = Path(log_file) if log_file is not None else None
        self._progress = None

    def log(self, text: str) -> None:
        """Append a time-stamped line to the log file (if any); never fails the build."""
        if self.log_file is None:
            return
        try:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_file, "a", encoding="utf-8") as handle:
                handle.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {text}\n")
        except OSError:
            pass

    @contextmanager
    def session(self) -> Iterator["Reporter"]:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=self.console, transient=True, disable=self.quiet,
        )
        with self._progress:
            yield self
        self._progress = None

    def task(self, description: str, total: int):
        """Start a bar; returns a function that advances it by one step with a new description."""
        if self._progress is None:
            return lambda text=None: None
        task_id = self._progress.add_task(description, total=total)

        def advance(text: str | None = None) -> None:
            self._progress.update(task_id, advance=1, description=text or description)

        return advance

    def done(self, task_description: str) -> None:
        if self._progress is not None:
            for task in list(self._progress.tasks):
                if task.description.startswith(task_description):
                    self._progress.remove_task(task.id)

    def line(self, text: str) -> None:
        self.log(text)
        self.console.print(text, highlight=False, markup=False)

    def warn(self, text: str) -> None:
        from rich.markup import escape

        self.log(f"warning: {text}")
        self.console.print(f"[yellow]warning:[/yellow] {escape(text)}", highlight=False)
