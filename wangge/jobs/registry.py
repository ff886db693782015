"""Job kinds → handler functions. Apps register their handlers in ``AppConfig.ready``."""

from __future__ import annotations

from collections.abc import Callable

_handlers: dict[str, Callable] = {}


def register(kind: str, handler: Callable) -> None:
    _handlers[kind] = handler


def handler_for(kind: str) -> Callable | None:
    return _handlers.get(kind)


_periodic: list[Callable] = []


def register_periodic(task: Callable) -> None:
    """A function the worker calls every sweep interval (e.g. the overdue sweep)."""
    if task not in _periodic:
        _periodic.append(task)


def periodic_tasks() -> list[Callable]:
    return list(_periodic)
