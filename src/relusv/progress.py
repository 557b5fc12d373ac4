"""Progress of a long command on stderr: a progress bar on a terminal, plain lines elsewhere.

:class:`Progress` counts units of work (for ``relusv analyse``: one per layer and subset of the
bounds, one per width stage, one per pruning iteration) and shows them

- on a terminal (``stderr.isatty()``): as a ``rich`` progress bar with the current stage, the
  units done, the elapsed time and an estimate of the time left; warnings are printed above it;
- otherwise (a log file, a pipe, a batch job): as plain ``relusv: ...`` lines, one per stage
  and one per INFO message of the library, with no control characters.

The library's log records (logger ``relusv``) reach it through :meth:`Progress.capture_logs`.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

__all__ = ["Progress"]


class Progress:
    """Units of work done out of ``total``, shown as a bar or as lines (module docstring).

    Parameters
    ----------
    total : int
        Units of work expected (the bar's length; may be raised with :meth:`add_total`).
    bar : bool or None
        True: a rich progress bar; False: plain lines; None: a bar iff stderr is a terminal.
    stream : file or None
        Where to write (default ``sys.stderr``).
    prefix : str
        Start of every plain line.
    """

    def __init__(self, total: int, *, bar: bool | None = None, stream=None,
                 prefix: str = "relusv: "):
        self.stream = sys.stderr if stream is None else stream
        self.bar = bool(getattr(self.stream, "isatty", lambda: False)()) if bar is None else bar
        self.prefix = prefix
        self.total = int(total)
        self._rich = self._task = None

    def __enter__(self) -> Progress:
        if self.bar:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            console = Console(file=self.stream, force_terminal=True)
            self._rich = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(),
                                      TimeRemainingColumn(), console=console, transient=False)
            self._rich.start()
            self._task = self._rich.add_task("starting", total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None

    def stage(self, message: str, *args) -> None:
        """Start a stage: a plain line, or the bar's description."""
        text = message % args if args else message
        if self._rich is not None:
            self._rich.update(self._task, description=text)
        else:
            print(self.prefix + text, file=self.stream, flush=True)

    def status(self, message: str, *args) -> None:
        """Show ``message`` on the bar only (plain lines come from the library's log)."""
        if self._rich is not None:
            self._rich.update(self._task, description=message % args if args else message)

    def note(self, message: str, *args) -> None:
        """A message that must stay visible (a warning, the final line): printed either way."""
        text = message % args if args else message
        if self._rich is not None:
            self._rich.console.print(self.prefix + text, markup=False, highlight=False)
        else:
            print(self.prefix + text, file=self.stream, flush=True)

    def advance(self, units: int = 1) -> None:
        """``units`` more units done."""
        if self._rich is not None:
            self._rich.advance(self._task, units)

    def add_total(self, units: int) -> None:
        """Expect ``units`` more units of work."""
        self.total += int(units)
        if self._rich is not None:
            self._rich.update(self._task, total=self.total)

    def finish(self) -> None:
        """Mark every unit done (a stage that ended early, e.g. pruning out of ranks)."""
        if self._rich is not None:
            self._rich.update(self._task, completed=self.total)

    @contextlib.contextmanager
    def capture_logs(self, logger: str = "relusv") -> Iterator[None]:
        """Route the library's log records here while the block runs: INFO records as plain
        lines (ignored under a bar, whose stages say as much), warnings and errors as notes."""
        progress = self

        class _Handler(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                if record.levelno >= logging.WARNING:
                    progress.note("%s", record.getMessage())
                elif progress._rich is None:
                    progress.stage("%s", record.getMessage())

        handler = _Handler(logging.INFO)
        library_log = logging.getLogger(logger)
        level, propagate = library_log.level, library_log.propagate
        library_log.addHandler(handler)
        library_log.setLevel(logging.INFO)
        library_log.propagate = False
        try:
            yield
        finally:
            library_log.removeHandler(handler)
            library_log.setLevel(level)
            library_log.propagate = propagate
