"""What the tests share: kernels, JupyterLab, Chromium, notebooks, waits.

Test modules import from here and never from each other, so a test module can be
read, run and changed on its own; ``tests/conftest.py`` holds the fixtures only.
A module per concept:

- ``waits``: poll until a condition holds, with a timeout and a message that says why not;
- ``processes``: is a process alive, end one, a free port for a server;
- ``interrupts``: a block that must end in KeyboardInterrupt, as the interrupt button does;
- ``notebook_kernel``: a real kernel driven as JupyterLab drives it;
- ``kernels``: the notebook's setup cell, fresh kernels that ran it, a cell that keeps one busy;
- ``inprocess_kernel``: an IPython shell in this process, for tests that need its threads;
- ``remote_kernel``: a Kernel Gateway in a network namespace of its own;
- ``bokeh_client``: a page's Bokeh view over the websocket, without a browser;
- ``bokeh_comm``: a page's Bokeh view over a comm (the kernel's own channel);
- ``bokeh_documents``: what a Bokeh document holds and what a slider's move sends;
- ``pymol_sessions``: PyMOL sessions in this process and a molecule to load;
- ``jupyterlab``: a real JupyterLab server (Notebook 7 too);
- ``chromium``: Debian's Chromium, and the one way the tests launch it;
- ``notebook_page``: a notebook open in Chromium, driven through JupyterLab's commands;
- ``notebooks``: a fresh notebook per test in a JupyterLab, with a second client on its kernel.
"""
