"""Kernels forked from a warm process: one fresh kernel per edition, without paying its start-up.

Starting ``python -m ipykernel_launcher`` and importing pandas, matplotlib and
this package cost every edition the same second and a half (measured here: a
kernel ready in 0.6 s, a first cell of imports 0.7-1.1 s; forked, 0.35 s and
0.1 s).  :func:`preload` imports those modules once, in the render
process, before it forks a build per edition; inside a build,
:class:`ForkingKernelManager` starts the kernel by forking that build process
instead of executing a new interpreter.  The kernel is still a process of its
own, made for one edition and gone after it, speaking the usual Jupyter
protocol to papermill; it only starts with the modules already imported.
No notebook code and no data table is ever loaded before the fork: the
template holds imported modules, never a brief's state.

A kernelspec whose command is not this interpreter running
``ipykernel_launcher`` (another Python, another language) is started the usual
way, as is every kernel when :func:`preload` was not called.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import importlib.util
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import uuid

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import default

# What the kernel of every brief imports in its first cell, and the kernel's own machinery.
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "matplotlib_inline.backend_inline",
                  "pandas", "matplotlib.figure", "matplotlib.backends.backend_agg", "briefing.brief",
                  "briefing.charts", "briefing.themes")
_preloaded = False
_fresh: dict = {}  # what a new interpreter here would have: its import path, for the PYTHONPATH it had


def preload() -> None:
    """Import the kernel's modules in this process, so kernels forked from it start warm."""
    global _preloaded
    if _preloaded:
        return
    # The import path of a kernel started as `python -m ipykernel_launcher`: the interpreter's own, without
    # the folder `-m` adds (the launcher removes it) and without what this process added (pytest does).
    found = subprocess.run([sys.executable, "-P", "-c", "import sys, json; print(json.dumps(sys.path))"],
                           capture_output=True, text=True, check=True)
    _fresh.update(path=json.loads(found.stdout), pythonpath=os.environ.get("PYTHONPATH"))
    # debugpy, imported by ipykernel's debugger, warns about frozen modules unless told not to check
    # (the kernelspec runs Python with -Xfrozen_modules=off, and so does its fork).
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for name in KERNEL_MODULES:
        importlib.import_module(name)
    from briefing import themes

    themes.by_brief()  # every theme module
    _preloaded = True


def forkable(cmd: list[str], env: dict | None = None) -> bool:
    """Whether ``cmd`` is this interpreter starting an IPython kernel (then a fork does the same).

    Only from a process with one thread (a fork copies the calling thread alone, so a Dask worker or a
    server launches its kernels the usual way), and for the import path the template was made with.
    """
    if not _preloaded or threading.active_count() > 1 or len(cmd) < 3 or "-m" not in cmd:
        return False  # a fork copies only the calling thread: fork a process that has no other
    if (env or os.environ).get("PYTHONPATH") != _fresh["pythonpath"]:
        return False
    at = cmd.index("-m")
    options = cmd[1:at]
    return (os.path.realpath(cmd[0]) == os.path.realpath(sys.executable)
            and cmd[at + 1] == "ipykernel_launcher"
            and all(o.startswith("-X") for o in options))


class ForkedKernel:
    """What :class:`subprocess.Popen` offers the provisioner, for a kernel forked from this process."""

    stdin = stdout = stderr = None

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str):
        self.returncode: int | None = None
        env = {**env, "JPY_PARENT_PID": str(os.getpid())}  # as jupyter_client's launcher: it dies with us
        # ipykernel read JPY_PARENT_PID when the template imported it; say it again on the command line
        argv = [*argv, f"--IPKernelApp.parent_handle={os.getpid()}"]
        self.pid = os.fork()
        if self.pid == 0:
            _become_kernel(argv, env, cwd)  # never returns

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _become_kernel(argv: list[str], env: dict[str, str], cwd: str) -> None:
    """In the forked child: become what ``python -m ipykernel_launcher ARGV`` would be, then exit."""
    code = 1
    atexit._clear()  # the build's exit handlers are not the kernel's to run
    try:
        # What Popen(close_fds=True) gives a launched kernel: stdin from nowhere, no inherited files
        # (the build's pipe to the render process, the publish lock, its event loop's descriptors).
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        os.setsid()  # its own process group, as jupyter_client's launcher gives a kernel
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.path[:] = _fresh["path"]
        if "matplotlib" in sys.modules:  # it read MPLBACKEND when imported; ipykernel's default is inline
            sys.modules["matplotlib"].rcParams["backend"] = (os.environ.get("MPLBACKEND")
                                                             or "module://matplotlib_inline.backend_inline")
        asyncio.set_event_loop(asyncio.new_event_loop())  # the build's loop is running (in its process)
        if "numpy" in sys.modules:  # `random` reseeds itself after a fork; numpy's global generator does not
            sys.modules["numpy"].random.seed()
        sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *argv]
        from ipykernel.kernelapp import launch_new_instance

        launch_new_instance()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
    except BaseException:  # noqa: BLE001 - the kernel's own failure goes to its stderr, like any kernel's
        traceback.print_exc(file=sys.__stderr__)  # ipykernel has taken sys.stderr
    finally:
        atexit._run_exitfuncs()  # the kernel's own (IPython's history, its temporary files)
        os._exit(code)  # never back into the build's code, never flushing the build's buffers


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, forking this process when it can instead of starting Python."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        if not forkable(cmd, kwargs.get("env")):
            return await super().launch_kernel(cmd, **kwargs)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        self.process = ForkedKernel(cmd[cmd.index("-m") + 2:], dict(kwargs.get("env") or os.environ), cwd)
        self.pid = self.pgid = self.process.pid
        self.cwd = pathlib.Path(cwd)
        return self.connection_info


class ForkingKernelManager(AsyncKernelManager):
    """nbclient's kernel manager with :class:`ForkProvisioner`; pass it as ``kernel_manager_class``."""

    # Unix sockets, not TCP ports: a port picked free can be taken by another build's kernel before this
    # one binds it ("Address already in use"); a socket path of its own cannot.
    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default(self) -> str:  # jupyter_client's default, "kernel-ipc" in the working folder, is shared
        return os.path.join(tempfile.gettempdir(), f"briefing-kernel-{uuid.uuid4().hex}")

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
            self.provisioner = ForkProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
        return await super()._async_pre_start_kernel(**kw)
