"""How the embedded Bokeh server listens: address, port, origins, view lifetimes.

The port and the extra origins are kernel settings (``core/settings.py``: a config
file, ``%config JupyterSessions.port = 5006``, or ``JUPYTER_SESSIONS_PORT``), read when
the server starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core import settings

# Loopback pages only, any port: the notebook server's port is unknown to the kernel.
DEFAULT_ORIGINS = ("localhost:*", "127.0.0.1:*", "[::1]:*")


def _origins() -> tuple[str, ...]:
    return DEFAULT_ORIGINS + tuple(settings.get("allow_origin"))


@dataclass(frozen=True)
class ServerConfig:
    """How the embedded server listens; the port and origins from the settings by default.

    ``port`` (0: the OS picks) and ``allow_origin`` (``host:port`` patterns added to
    the loopback defaults).
    """

    address: str = "127.0.0.1"
    port: int = field(default_factory=lambda: int(settings.get("port")))
    origins: tuple[str, ...] = field(default_factory=_origins)
    # Views whose browser went away are dropped after this long without a connection
    # (checked only then: departed.py). Closed sessions' views do not wait for it:
    # they are discarded as soon as their websockets are closed (destroy_views).
    view_linger_ms: int = 2000
    # One full gc.collect() for many discarded views, instead of Bokeh's one per
    # document inside the discard (see teardown.py): this long after the first of
    # them (it holds the GIL ~0.1 s; seconds later it rarely lands on the next close),
    # or at once after this many (so a burst of re-runs leaves little garbage).
    collect_delay_s: float = 5.0
    collect_after_views: int = 10
    # Bokeh hands a live view's creation token to every later page load of it, so the
    # token must outlive the view; the signed view id is what grants access anyway.
    token_expiration_s: int = 30 * 24 * 3600
