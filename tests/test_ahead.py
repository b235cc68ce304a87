"""One step ahead: the next item is made while the caller holds this one; order, errors and an early stop are
those of the plain loop."""

import threading

import pytest

from generator.ahead import ahead


def test_items_come_in_order_and_all_of_them():
    assert list(ahead(iter(range(50)))) == list(range(50))
    assert list(ahead(iter([]))) == []


def test_the_next_item_is_made_while_the_caller_holds_this_one():
    """Known answer: the producer announces that it started item 1; a plain loop could not, as the caller
    waits for that announcement before it asks for item 1 (the wait would time out)."""
    making_second = threading.Event()

    def produce():
        yield 0
        making_second.set()
        yield 1

    items = ahead(produce())
    assert next(items) == 0
    assert making_second.wait(timeout=10), "item 1 was not started while item 0 was held"
    assert next(items) == 1


def test_an_error_while_making_an_item_reaches_the_caller_after_the_items_before_it():
    def produce():
        yield "first"
        raise ValueError("photo 2 is broken")

    items = ahead(produce())
    assert next(items) == "first"
    with pytest.raises(ValueError, match="photo 2 is broken"):
        next(items)


def test_stopping_early_stops_the_producer():
    made = []

    def produce():
        for number in range(1000):
            made.append(number)
            yield number

    items = ahead(produce(), depth=1)
    assert next(items) == 0
    items.close()
    threading.Event().wait(0.5)  # room for the worker to notice (it checks every 0.1 s)
    count = len(made)
    threading.Event().wait(0.3)
    assert len(made) == count <= 4  # it made at most the items in flight, then stopped
