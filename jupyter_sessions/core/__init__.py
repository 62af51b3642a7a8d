"""The lifecycle core: a cell owns sessions; a session has one lifecycle.

Modules, each one concept, in import order (each imports only those above it):

- ``callbacks``: calling code others registered: each call made, a failure logged;
- ``lifecycle``: states, ``Lifecycle`` (close once, newest first), ``StillRunning``;
- ``session``: ``Session``, the contract for kinds (and the names a kind needs);
- ``registry``: the kernel's sessions by id and owning cell, and their events;
- ``threads``: which thread runs what, and the hand-over to the main thread;
- ``output``: the one output type, the Close button, the "closed" note;
- ``diagnostics``: ``sessions()`` and ``print_info()``;
- ``channel``: the comms through which pages say an output went away;
- ``cells``: the cell binding (IPython's ``pre_run_cell``);
- ``runtime``: installing into IPython, ``open_session``, ``close_all``, shutdown.

The core imports no kind; kinds reach it through the Session protocol and the
registrations here (``runtime.at_shutdown``, ``channel.on_page``,
``diagnostics.add_summary``). An import-linter contract in pyproject.toml keeps it so.
"""
