"""Progress bars and one-line summaries on the terminal (rich), silent with ``--quiet``."""

from __future__ import annotations

from contextlib import contextmanager
from collections.abc import Iterator


class Reporter:
    """Shows a bar per backbone with a time estimate, and a summary line when each finishes."""

    def __init__(self, quiet: bool = False) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.console = Console(stderr=True, quiet=quiet)
        self._progress = None

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
        self.console.print(text, highlight=False, markup=False)

    def warn(self, text: str) -> None:
        from rich.markup import escape

        self.console.print(f"[yellow]warning:[/yellow] {escape(text)}", highlight=False)
