"""Make the next item of a stream while the caller works on this one: a worker thread one step ahead.

A build's long loops alternate work that holds the GIL little (TensorFlow's pass over a batch, PIL decoding a
photo) with NumPy work on the result (merging top-k lists). Run in one thread they take turns and each core
idles for part of the loop; with the producer one item ahead they overlap. Order, results and errors are those
of the plain loop: an error raised while making an item is raised to the caller where it would have met it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

Item = TypeVar("Item")
_END = object()


class _Failure:
    """An error raised by the producer, carried to the caller."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def ahead(items: Iterable[Item], depth: int = 1) -> Iterator[Item]:
    """``items``, in order, made by a worker thread that keeps up to ``depth`` items ready beyond the one the
    caller holds (memory: ``depth + 2`` items at most, the one being made included).

    Closing the iterator early (a ``break``, an error in the caller) stops the worker after the item it is
    making; the worker is a daemon, so an interrupted build still exits.
    """
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _offer(ready, item, stop):
                    return
        except BaseException as error:  # carried to the caller, which raises it
            _offer(ready, _Failure(error), stop)
            return
        _offer(ready, _END, stop)

    worker = threading.Thread(target=produce, name="ahead", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()


def _offer(ready: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put ``item`` when there is room, unless the caller has stopped; whether it was put."""
    while not stop.is_set():
        try:
            ready.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
