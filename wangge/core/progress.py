"""Progress of a long import or export on the command line.

On a terminal, a bar redrawn in place with ``\\r``::

    [#######.......]  48%  12,000/25,000 rows  3,100 rows/s

Elsewhere (a log file, a pipe, a test's StringIO), a plain line now and then::

    12,000 / 25,000 rows (48%), 3,100 rows/s

The total may be unknown (then no bar and no percentage) or become known later.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    """``update(done, total=None)`` as work goes on, ``finish()`` at the end (draws the last
    state and ends the line). Redraws are throttled: a terminal at most every ``redraw``
    seconds, plain output at most every ``every`` seconds (the first and last always)."""

    def __init__(self, stream, total: int | None = None, *, unit: str = "rows",
                 width: int = 30, tty: bool | None = None, redraw: float = 0.1,
                 every: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.total = total
        self.unit = unit
        self.width = width
        self.tty = _isatty(stream) if tty is None else tty
        self.interval = redraw if self.tty else every
        self.clock = clock
        self.started = clock()
        self.done = 0
        self._drawn_at: float | None = None
        self._drawn_done = -1
        self._finished = False

    # --- what is drawn ----------------------------------------------------------------------
    def rate(self) -> float:
        elapsed = self.clock() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, int(self.done * 100 / self.total))

    def bar_line(self) -> str:
        rate = f"{self.rate():,.0f} {self.unit}/s"
        percent = self.percent()
        if percent is None:
            return f"{self.done:,} {self.unit}  {rate}"
        filled = self.width * min(self.done, self.total) // self.total
        bar = "#" * filled + "." * (self.width - filled)
        return f"[{bar}] {percent:3d}%  {self.done:,}/{self.total:,} {self.unit}  {rate}"

    def plain_line(self) -> str:
        rate = f"{self.rate():,.0f} {self.unit}/s"
        percent = self.percent()
        if percent is None:
            return f"{self.done:,} {self.unit}, {rate}"
        return f"{self.done:,} / {self.total:,} {self.unit} ({percent}%), {rate}"

    # --- updates ------------------------------------------------------------------------------
    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        now = self.clock()
        if self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        self._draw(now)

    def __call__(self, done: int, total: int | None = None) -> None:
        """So that a Progress can be handed to an importer as its ``progress`` callback."""
        self.update(done, total)

    def finish(self, done: int | None = None) -> None:
        if self._finished:
            return
        if done is not None:
            self.done = done
        if self.total is not None and self.done > self.total:
            self.total = self.done
        if self._drawn_done != self.done:
            self._draw(self.clock())
        if self.tty:
            self._write("\n")
        self._finished = True

    def abort(self) -> None:
        """Ends the bar's line (on a terminal) without drawing: the work failed."""
        if self.tty and self._drawn_at is not None and not self._finished:
            self._write("\n")
        self._finished = True

    def _draw(self, now: float) -> None:
        self._drawn_at, self._drawn_done = now, self.done
        if self.tty:
            line = self.bar_line()
            self._write("\r" + line + "\x1b[K")  # clear what a longer line left behind
        else:
            self._write(self.plain_line() + "\n")

    def _write(self, text: str) -> None:
        # Django's OutputWrapper adds a newline and (stderr) colours unless told otherwise
        try:
            self.stream.write(text, ending="", style_func=_plain)
        except TypeError:
            self.stream.write(text)
        flush = getattr(self.stream, "flush", None)
        if flush:
            flush()


def _plain(text: str) -> str:
    return text


def _isatty(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def count_lines(path, *, header: bool = True, block: int = 1 << 20) -> int:
    """The number of data lines of a text file, counted cheaply by newlines (quoted newlines
    inside a CSV cell make it an estimate, which is all a progress bar needs)."""
    lines = 0
    last = b""
    with open(path, "rb") as stream:
        while chunk := stream.read(block):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last and last != b"\n":
        lines += 1
    return max(0, lines - (1 if header else 0))
