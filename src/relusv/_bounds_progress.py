"""Progress of a long :func:`relusv._bounds_optimiser.compute_bounds` call, for its log.

Messages go to the logger ``relusv._bounds_optimiser`` (INFO), the one users configure, at most
every :data:`LOG_INTERVAL` seconds: ranks done, steps taken, best max-errors and an estimate of
the time left.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from relusv._bounds_plan import _task_cost

log = logging.getLogger("relusv._bounds_optimiser")

#: Seconds between two progress messages of one call (a call shorter than this logs nothing).
LOG_INTERVAL = 30.0


class Progress:
    """Progress of one :func:`compute_bounds` call, logged at most every ``LOG_INTERVAL`` s.

    Work is counted in estimated flops (:func:`_task_cost`) at the cap of ``steps`` steps; the
    time left is the elapsed time times the capped work not yet finished over that finished,
    which assumes that the remaining ranks stop as early as the finished ones on average (tasks
    start most expensive first, so early estimates lean high). ``task_done`` is called from the
    worker threads. ``scale`` turns the normalised float32 errors back into output units.
    """

    def __init__(self, tasks, *, steps: int, n_points: int, m: int, da: int, scale: float,
                 shape: tuple[int, int]):
        self._ranks = [[k for k, _ in task[0]] for task in tasks]
        self._cost = [_task_cost(task, n_points, m, da) for task in tasks]
        self._total = sum(self._cost)
        self._what = f"{shape[0]}x{shape[1]} layer over {n_points} points"
        self._steps = steps
        self._scale = scale
        self._lock = threading.Lock()
        self._start = self._last = time.monotonic()
        self._finished_cost = 0.0
        self._finished = []  # (ranks, steps_taken, best_err) per finished task
        self._reported = 0  # tasks in _finished already reported

    def task_done(self, index: int, steps_taken: np.ndarray, best_err: np.ndarray) -> None:
        with self._lock:
            self._finished_cost += self._cost[index]
            self._finished.append((self._ranks[index], steps_taken, best_err))
            now = time.monotonic()
            if now - self._last < LOG_INTERVAL or len(self._finished) == len(self._ranks):
                return
            self._last = now
            recent = self._finished[self._reported :]
            self._reported = len(self._finished)
            elapsed = now - self._start
            left = elapsed * (self._total - self._finished_cost) / self._finished_cost
            ranks = [k for task in recent for k in task[0]]
            taken = np.concatenate([task[1] for task in recent])
            errors = np.sqrt(np.concatenate([task[2] for task in recent])) * self._scale
            log.info(
                "%s: %d of %d ranks done (%.0f %% of the work at %d steps); since the last "
                "report ranks %d-%d: %d-%d steps, best max-error %.4g-%.4g; %.0f s elapsed, "
                "about %.0f s left", self._what, sum(len(task[0]) for task in self._finished),
                sum(map(len, self._ranks)), 100 * self._finished_cost / self._total,
                self._steps, min(ranks), max(ranks), taken.min(), taken.max(), errors.min(),
                errors.max(), elapsed, left)

    def finish(self) -> None:
        """A closing message (INFO for a call that reported progress, DEBUG otherwise)."""
        taken = np.concatenate([task[1] for task in self._finished])
        elapsed = time.monotonic() - self._start
        log.log(logging.INFO if elapsed >= LOG_INTERVAL else logging.DEBUG,
                "%s: %d ranks optimised in %.0f s, %.0f Adam steps per rank on average "
                "(%d-%d, cap %d)", self._what, len(taken), elapsed, taken.mean(), taken.min(),
                taken.max(), self._steps)
