"""A real remote kernel: a Jupyter Kernel Gateway in a network namespace of its own.

The namespace is joined to the host by a veth pair on a /24 no host address or route
uses; the gateway listens on the namespace's end, and its kernels run inside the
namespace, so their ``127.0.0.1`` is not the host's (nor the Jupyter server's).
JupyterLab reaches the kernels through ``--GatewayClient.url`` (``JupyterLab(...,
gateway_url=gateway.url)``), as with a kernel on another machine.

Needs root (``ip netns add``); ``network_namespace()`` raises ``NamespaceUnavailable``
when that is not permitted, so tests can skip. Everything is undone on exit, even on
failure: the processes in the namespace are killed, the veth pair and the namespace
deleted.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from .notebook_kernel import Reply
from .processes import terminate

GATEWAY_PORT = 8888
# Variables the gateway lets its kernels inherit from its own environment: the
# gateway gives a kernel only PATH, these and the KERNEL_* the client sends.
KERNEL_ENV = ["HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "VIRTUAL_ENV"]

_instances = itertools.count()
# No proxy from the environment: the gateway's address is only reachable directly.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NamespaceUnavailable(RuntimeError):
    """Not root, or ``ip netns add`` is not permitted here."""


@dataclass(frozen=True)
class Namespace:
    """A network namespace joined to the host by a veth pair on one /24."""

    name: str
    host_address: str  # the host's end of the veth pair
    address: str  # the namespace's end: what the gateway listens on
    host_link: str
    link: str  # the namespace's end's interface name, as seen inside it


@dataclass
class KernelGateway:
    """A running ``jupyter kernelgateway`` inside a namespace."""

    namespace: str
    address: str
    port: int
    process: subprocess.Popen[bytes]
    root: Path

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "kernelgateway.log"

    def api(self, path: str, timeout: float = 10.0) -> Any:
        url = f"{self.url}/api/{path}" if path else f"{self.url}/api"
        with _opener.open(url, timeout=timeout) as response:
            return json.loads(response.read())


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def namespace_pids(name: str) -> list[int]:
    """The processes running in namespace ``name`` (``ip netns pids``)."""
    result = _ip("netns", "pids", name, check=False)
    return [int(pid) for pid in result.stdout.split()] if result.returncode == 0 else []


def _used_networks() -> list[ipaddress.IPv4Network]:
    """The host's IPv4 networks: of its addresses and of its routes (every table)."""
    addresses = _ip("-o", "-4", "addr", "show").stdout
    text = addresses + _ip("-4", "route", "show", "table", "all").stdout
    networks = []
    for token in text.split():
        if "/" in token:
            try:
                network = ipaddress.ip_network(token, strict=False)
            except ValueError:
                continue
            if isinstance(network, ipaddress.IPv4Network) and network.prefixlen > 0:
                networks.append(network)
    return networks


def _free_subnet(instance: int) -> ipaddress.IPv4Network:
    """A 10.213.N.0/24 that overlaps no network of the host (N from the pid, then on)."""
    used = _used_networks()
    for step in range(256):
        candidate = ipaddress.IPv4Network(f"10.213.{(os.getpid() + instance + step) % 256}.0/24")
        if not any(candidate.overlaps(network) for network in used):
            return candidate
    raise RuntimeError("no free /24 in 10.213.0.0/16")


def _gone(process: psutil.Process) -> bool:
    """True once ``process`` ended (a zombie, left for its parent to reap, has ended)."""
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def _processes(pids: list[int]) -> list[psutil.Process]:
    processes = []
    for pid in pids:
        with suppress(psutil.NoSuchProcess):
            processes.append(psutil.Process(pid))
    return processes


def _kill_all(processes: list[psutil.Process], timeout: float) -> None:
    """SIGKILL ``processes`` and wait until they have ended, at most ``timeout`` s.

    A ``psutil.Process`` knows its start time: one whose pid was reused is not killed.
    """
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            process.kill()
    deadline = time.monotonic() + timeout
    while not all(_gone(process) for process in processes):
        if time.monotonic() > deadline:
            alive = [process for process in processes if not _gone(process)]
            raise RuntimeError(f"still running {timeout} s after SIGKILL: {alive}")
        time.sleep(0.05)


@contextmanager
def network_namespace(timeout: float = 20.0) -> Iterator[Namespace]:
    """A namespace of this test run with a veth pair to the host; all gone on exit.

    The namespace is ``jsess-<pid>-<n>``; the host's end is ``10.213.N.1/24``, the
    namespace's ``10.213.N.2/24`` on a /24 the host does not use; the namespace's ``lo``
    is up (kernels talk to the gateway over it). On exit every process left in the
    namespace is killed, then the veth pair and the namespace are deleted.
    """
    if os.geteuid() != 0:
        raise NamespaceUnavailable("network namespaces need root")
    if shutil.which("ip") is None:
        raise NamespaceUnavailable("no ip command (iproute2)")
    instance = next(_instances)
    name = f"jsess-{os.getpid()}-{instance}"
    host_link, link = f"jsh{os.getpid()}x{instance}", f"jsk{os.getpid()}x{instance}"
    added = _ip("netns", "add", name, check=False)
    if added.returncode != 0:
        raise NamespaceUnavailable(f"ip netns add is not permitted: {added.stderr.strip()}")
    try:
        subnet = _free_subnet(instance)
        host_address, address = str(subnet[1]), str(subnet[2])
        _ip("link", "add", host_link, "type", "veth", "peer", "name", link)
        _ip("link", "set", link, "netns", name)
        _ip("addr", "add", f"{host_address}/24", "dev", host_link)
        _ip("link", "set", host_link, "up")
        _ip("-n", name, "addr", "add", f"{address}/24", "dev", link)
        _ip("-n", name, "link", "set", link, "up")
        _ip("-n", name, "link", "set", "lo", "up")
        yield Namespace(name, host_address, address, host_link, link)
    finally:
        try:
            _kill_all(_processes(namespace_pids(name)), timeout)
        finally:
            # Deleting one end deletes the pair, at once (a namespace's devices go
            # asynchronously after ``ip netns del``).
            _ip("link", "del", host_link, check=False)
            _ip("netns", "del", name)


@contextmanager
def kernel_gateway(
    namespace: str,
    address: str,
    root: Path | None = None,
    *,
    port: int = GATEWAY_PORT,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    stop_timeout: float = 20.0,
) -> Iterator[KernelGateway]:
    """A kernel gateway in ``namespace`` on ``address:port``, ready; stopped on exit.

    It runs this interpreter (so its ``python3`` kernels are the virtualenv's, where
    ``jupyter_sessions`` is installed) in ``root`` (a temporary dir when None), with
    its own Jupyter config, data and runtime dirs there; its log is
    ``root/kernelgateway.log``. ``env`` is added to its environment and passed on to
    its kernels (``JUPYTER_SESSIONS_PORT``, say). Listing kernels is allowed, as
    JupyterLab needs. On exit it is terminated (it shuts its kernels down), killed
    after ``stop_timeout``, and any of its kernels left are killed.
    """
    with ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kg-")))
        root.mkdir(parents=True, exist_ok=True)
        extra = env or {}
        process_env = {
            **os.environ,
            **extra,
            "JUPYTER_CONFIG_DIR": str(root / ".config"),
            "JUPYTER_DATA_DIR": str(root / ".data"),
            "JUPYTER_RUNTIME_DIR": str(root / ".runtime"),
        }
        # A List option takes one item per flag: "A,B" would be one name.
        inherited = [f"--KernelGatewayApp.env_process_whitelist={n}" for n in [*KERNEL_ENV, *extra]]
        log = stack.enter_context((root / "kernelgateway.log").open("w"))
        process = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                namespace,
                sys.executable,
                "-m",
                "kernel_gateway",
                f"--KernelGatewayApp.ip={address}",
                f"--KernelGatewayApp.port={port}",
                "--KernelGatewayApp.port_retries=0",
                *inherited,
                "--JupyterWebsocketPersonality.list_kernels=True",
            ],
            cwd=root,
            env=process_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        gateway = KernelGateway(namespace, address, port, process, root)
        try:
            _wait_ready(gateway, timeout)
            yield gateway
        finally:
            _stop(gateway, stop_timeout)


def _wait_ready(gateway: KernelGateway, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if gateway.process.poll() is not None:
            raise RuntimeError(f"the kernel gateway exited: see {gateway.log_path}")
        try:
            gateway.api("", timeout=5)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the kernel gateway did not answer within {timeout} s: see {gateway.log_path}"
                ) from None
            time.sleep(0.2)


def _stop(gateway: KernelGateway, timeout: float) -> None:
    # ``ip netns exec`` execs the gateway: the process is the gateway itself.
    try:
        kernels = psutil.Process(gateway.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kernels = []
    terminate(gateway.process, timeout)
    _kill_all(kernels, timeout)


@contextmanager
def remote_gateway(
    root: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[KernelGateway]:
    """``kernel_gateway`` in a fresh ``network_namespace``: both gone on exit."""
    with (
        network_namespace() as namespace,
        kernel_gateway(namespace.name, namespace.address, root, env=env) as gateway,
    ):
        yield gateway


def execute(server_url: str, token: str, kernel_id: str, code: str, timeout: float = 60.0) -> Reply:
    """Run ``code`` on kernel ``kernel_id`` over the server's kernel websocket.

    The server is JupyterLab (or any Jupyter server, or the gateway itself); the
    messages are jupyter_server's JSON websocket protocol. Waits for the reply and
    the kernel's idle status, at most ``timeout`` s. Its event loop runs in a thread
    of its own: Playwright's sync API marks its loop as running in the test's thread.
    """
    coroutine = asyncio.wait_for(_execute(server_url, token, kernel_id, code), timeout)
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result(timeout + 10)


async def _execute(server_url: str, token: str, kernel_id: str, code: str) -> Reply:
    ws_url = server_url.replace("http", "ws", 1)
    request = HTTPRequest(
        f"{ws_url}/api/kernels/{kernel_id}/channels",
        headers={"Authorization": f"token {token}"} if token else {},
        connect_timeout=30,
        request_timeout=30,
    )
    connection = await websocket_connect(request)
    try:
        msg_id = uuid.uuid4().hex
        connection.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "username": "test",
                        "session": uuid.uuid4().hex,
                        "version": "5.3",
                        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "buffers": [],
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": False,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                }
            )
        )
        reply: Reply | None = None
        stdout: list[str] = []
        stderr: list[str] = []
        error: dict[str, Any] | None = None
        idle = False
        while reply is None or not idle:
            text = await connection.read_message()
            if text is None:
                raise ConnectionError("the kernel websocket closed")
            message = json.loads(text)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                (stdout if content["name"] == "stdout" else stderr).append(content["text"])
            elif kind == "error":
                error = content
            elif kind == "status":
                idle = content["execution_state"] == "idle"
            elif kind == "execute_reply":
                reply = Reply(status=content["status"])
        reply.stdout, reply.stderr, reply.error = "".join(stdout), "".join(stderr), error
        return reply
    finally:
        connection.close()
        # Until the server answers the close: a socket left to the loop's end is unclosed.
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_closed(connection), 5.0)


async def _closed(connection: Any) -> None:
    while await connection.read_message() is not None:
        pass
