"""What ``open_session`` takes besides a Session: apps written for other tools.

People have apps already: a Bokeh ``app(doc)``, an ``Application``, a script or
directory for ``bokeh serve``, a Panel object. A kind that can run such an app
as one of its sessions registers a *host* for it: a function that returns a
Session for an object of its shapes, or None for anything else. The package's
``__init__`` registers the hosts by module name, so the core imports no kind and
a kind loads only when an object reaches its host. Hosts are asked in the order
they were registered; the first Session returned wins.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from dataclasses import dataclass
from typing import Any

from .session import Session


@dataclass(frozen=True)
class Host:
    """A kind's host: ``module.function(obj, **options)`` -> Session or None."""

    module: str
    function: str
    shapes: str  # what it takes, in words, for the error that lists every shape


_hosts: list[Host] = []
_lock = threading.Lock()


def register_host(module: str, function: str, shapes: str) -> None:
    """Let ``open_session`` host objects of ``shapes`` with ``module.function`` (once)."""
    host = Host(module, function, shapes)
    with _lock:
        if host not in _hosts:
            _hosts.append(host)


def hosted(obj: object, **options: Any) -> Session:
    """The session that runs ``obj``, from the first host that takes it (main thread).

    Raises TypeError naming every accepted shape when no host takes it; a host
    raises its own error (a path that does not exist, a script that does not
    compile) for an object of its shape that cannot run.
    """
    if isinstance(obj, type) and issubclass(obj, Session):
        raise TypeError(f"open_session() takes an instance: open_session({obj.__name__}())")
    with _lock:
        hosts = list(_hosts)
    for host in hosts:
        function = getattr(importlib.import_module(host.module), host.function)
        session: Session | None = function(obj, **options)
        if session is not None:
            return session
    shapes = "; ".join(
        ["a Session (such as a BokehSession subclass instance)", *(host.shapes for host in hosts)]
    )
    raise TypeError(f"open_session() takes {shapes}; not {_described(obj)}")


def _described(obj: object) -> str:
    if callable(obj) and not isinstance(obj, type):
        return f"{type(obj).__name__} {getattr(obj, '__name__', obj)!r}{_arity(obj)}"
    return type(obj).__name__


def _arity(fn: Any) -> str:
    try:
        count = len(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return ""
    return f" (of {count} argument{'s' if count != 1 else ''})"
