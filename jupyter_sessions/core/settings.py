"""The kernel's settings: the one table of them, read the way Jupyter users configure.

Each setting is a trait of the :class:`JupyterSessions` configurable, so it is set
as any IPython kernel setting is:

- in a config file, ``ipython_kernel_config.py`` (or ``ipython_config.py``) of the
  profile: ``c.JupyterSessions.time_to_live_minutes = 30``;
- from code in a cell: ``%config JupyterSessions.time_to_live_minutes = 30``
  (``%config JupyterSessions`` lists them with their values);
- from the kernel's environment, which takes precedence over both:
  ``JUPYTER_SESSIONS_TIME_TO_LIVE_MINUTES=30``.

A bad value never stops a kernel: one from a config file or the environment is
logged (the setting, the value and the default kept) and the default used. One
given with ``%config`` in a cell is refused there, with the same words, as a
``TraitError``, so the cell says what to fix.

The docs' table of settings is made from :data:`SETTINGS` (``docs/conf.py``), so it
cannot drift from what the kernel reads.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from traitlets import Any as AnyTrait
from traitlets import TraitError, validate
from traitlets.config import Configurable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    """One kernel setting: its trait name, environment variable, default and check."""

    name: str
    default: Any
    help: str
    # Turns a value (from config or code) into the setting's value, or raises ValueError.
    check: Callable[[Any], Any]
    # Turns the environment variable's text into a value for ``check``.
    parse_env: Callable[[str], Any] = str

    @property
    def env(self) -> str:
        """The environment variable that overrides this setting."""
        return "JUPYTER_SESSIONS_" + self.name.upper()


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValueError("must be a port number from 0 to 65535 (0: the OS picks one)")
    return value


def _origins(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(o, str) for o in value):
        raise ValueError("must be a list of host:port patterns, such as ['hub.example.org']")
    origins = tuple(o.strip() for o in value if o.strip())
    if "*" in origins:
        raise ValueError("must name hosts: '*' would let any site's page in")
    return origins


def minutes_or_off(value: Any) -> float | None:
    """A time to live in minutes, or None for off; ValueError unless above 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError("must be a number of minutes above 0, or None for off")
    if math.isinf(value):
        return None
    return float(value)


def _heartbeat(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.2 <= value <= 20:
        raise ValueError("must be a number of seconds from 0.2 to 20")
    return float(value)


def _env_number(text: str) -> Any:
    text = text.strip()
    if text.lower() in ("", "none", "off"):
        return None
    try:
        return int(text)
    except ValueError:
        return float(text)  # a ValueError here is a bad value too


#: Every kernel setting, in the order the docs list them.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "port",
        0,
        "Port of the embedded Bokeh server, on 127.0.0.1 (0: the OS picks a free one).",
        _port,
        int,
    ),
    Setting(
        "allow_origin",
        (),
        "Page origins allowed on the embedded server's websocket besides loopback "
        "(host:port patterns; the environment variable takes them comma-separated). "
        "Pages that connect through the channel are allowed already.",
        _origins,
    ),
    Setting(
        "time_to_live_minutes",
        None,
        "A session no page has shown for this many minutes closes itself, its output "
        "saying why (None: never). A session's own time_to_live_minutes= wins.",
        minutes_or_off,
        _env_number,
    ),
    Setting(
        "heartbeat_seconds",
        15.0,
        "How often a page says it is alive. A page silent for three times this long is "
        "let go as if it had unloaded (its feed closed, what it showed no longer shown).",
        _heartbeat,
        _env_number,
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


def _trait(name: str) -> Any:
    setting = _BY_NAME[name]
    return AnyTrait(setting.default, help=setting.help).tag(config=True)


class JupyterSessions(Configurable):  # type: ignore[misc]  # traitlets is untyped here
    """jupyter-sessions' kernel settings (``%config JupyterSessions`` lists them)."""

    port = _trait("port")
    allow_origin = _trait("allow_origin")
    time_to_live_minutes = _trait("time_to_live_minutes")
    heartbeat_seconds = _trait("heartbeat_seconds")

    @validate(*_BY_NAME)
    def _check(self, proposal: Any) -> Any:
        setting = _BY_NAME[proposal["trait"].name]
        try:
            return setting.check(proposal["value"])
        except ValueError as exc:
            raise TraitError(_bad(setting, proposal["value"], exc)) from None


_settings = JupyterSessions()


def settings() -> JupyterSessions:
    """The kernel's settings object (what ``%config JupyterSessions`` changes)."""
    return _settings


def get(name: str) -> Any:
    """The value in force for setting ``name``: environment, else config or code, else default."""
    setting = _BY_NAME[name]
    raw = os.environ.get(setting.env)
    if raw is None:
        return getattr(_settings, name)
    try:
        return setting.check(setting.parse_env(raw))
    except ValueError as exc:
        log.warning("%s; using %s", _bad(setting, raw, exc, source=setting.env), _kept(name))
        return getattr(_settings, name)


def load(shell: Any) -> None:
    """Read ``c.JupyterSessions`` from ``shell``'s config, and let ``%config`` reach it.

    A bad value is logged with the default it keeps; the rest still load.
    """
    section = getattr(shell, "config", {}).get("JupyterSessions", {})
    for name, value in dict(section).items():
        _load_one(name, value)
    configurables = getattr(shell, "configurables", None)
    if configurables is not None and _settings not in configurables:
        configurables.append(_settings)


def _load_one(name: str, value: Any) -> None:
    setting = _BY_NAME.get(name)
    if setting is None:
        log.warning(
            "Unknown setting JupyterSessions.%s ignored; known: %s", name, ", ".join(_BY_NAME)
        )
        return
    try:
        setattr(_settings, name, value)
    except TraitError as exc:
        log.warning("%s; keeping %s", exc, _kept(name))


def _bad(setting: Setting, value: Any, exc: Exception, source: str = "") -> str:
    where = source or f"JupyterSessions.{setting.name}"
    return f"jupyter-sessions setting {where}: bad value {value!r}: {exc}"


def _kept(name: str) -> str:
    return f"{getattr(_settings, name)!r}"


def table() -> list[dict[str, str]]:
    """Every setting as a row of the docs' table: name, environment variable, default, what."""
    return [
        {
            "setting": f"JupyterSessions.{s.name}",
            "environment": s.env,
            "default": repr(s.default),
            "what": s.help,
        }
        for s in SETTINGS
    ]
