"""Builds as tasks on a Dask distributed cluster (``briefing render|backfill --scheduler``).

The client (the ``briefing`` process) holds the publish lock and does all
publishing; workers only build.  What a build reads travels with the task, so a
worker needs nothing but the installed package, in any working directory on
any host:

- the inputs (data tables and descriptor, the analysts' register, the run's
  notebooks) form one *bundle*, keyed by the hash of its content and submitted
  once per run as a task of its own: a worker fetches it once (from the
  scheduler or a peer) and unpacks it under its temporary folder, reused by
  every later task with the same key.  The scheduler keeps the bundle's task,
  so a worker that dies with it loses nothing: it is recomputed;
- each edition is one task: it runs :func:`briefing.execute.build` (one fresh
  kernel) in a temporary folder and returns the :class:`BuildResult` with the
  bytes of every file it produced;
- the client writes those bytes into its staging folder and publishes them
  exactly as a local build's (:func:`briefing.render.execute`).

A worker that dies takes its running editions with it; the scheduler
re-runs them on another worker (``distributed.scheduler.allowed-failures``
times, 3 by default), so a dead worker costs a retry, not an edition.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from .errors import UsageError
from .execute import KERNEL_NAME, BuildResult, build

BUNDLE_PREFIX = "briefing-bundle-"
TIMEOUT = "30s"  # to reach the scheduler
# A build sets process-wide environment variables (data folder, trace file) that
# its kernel inherits: one build at a time per worker process.  Run workers with
# --nthreads 1 and as many processes as cores (`dask worker --nworkers N --nthreads 1`).
_ONE_BUILD = threading.Lock()


def bundle(editions) -> tuple[str, dict[str, bytes]]:
    """The inputs of ``editions`` as ``{relative path: bytes}`` and the hash of that content."""
    from .datapackage import data_dir
    from .register import files as register_files
    from .register import register_dir

    data = data_dir()
    register = register_dir(data)
    content: dict[str, bytes] = {}
    for path in sorted(data.rglob("*")):
        relative = path.relative_to(data)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            content[f"data/{relative.as_posix()}"] = path.read_bytes()
    for path in register_files(register):
        content[f"analysis/judgments/{path.relative_to(register).as_posix()}"] = path.read_bytes()
    for notebook in sorted({e.notebook for e in editions}):
        content[f"notebooks/{notebook.name}"] = notebook.read_bytes()
    digest = hashlib.sha256()
    for name, raw in content.items():
        for part in (name.encode(), raw):
            digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()[:32], content


def _bundle_value(content: dict[str, bytes]) -> dict[str, bytes]:
    return content


def unpack(key: str, content: dict[str, bytes]) -> Path:
    """The bundle ``key`` unpacked under this host's temporary folder (once; later calls reuse it)."""
    home = Path(tempfile.gettempdir()) / f"{BUNDLE_PREFIX}{key}"
    if (home / ".complete").is_file():
        return home
    work = Path(tempfile.mkdtemp(prefix=f".{BUNDLE_PREFIX}{key}-", dir=home.parent))
    for name, raw in content.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    (work / ".complete").touch()
    try:
        os.rename(work, home)
    except OSError:  # another worker process on this host unpacked it first
        shutil.rmtree(work, ignore_errors=True)
    return home


def _kernel_environment() -> dict[str, str]:
    """``JUPYTER_PATH`` holding the project's kernelspec when this installation lacks it.

    ``make setup`` installs it; a worker installed with plain ``pip install``
    gets an equivalent one (this Python, ipykernel) in its temporary folder.
    """
    import json
    import sys

    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL_NAME in KernelSpecManager().find_kernel_specs():
        return {}
    home = Path(tempfile.gettempdir()) / "briefing-kernels"
    spec = home / "kernels" / KERNEL_NAME / "kernel.json"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(json.dumps({"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                "display_name": "Python (peninsula briefs)", "language": "python"}))
    return {"JUPYTER_PATH": os.pathsep.join(filter(None, [str(home), os.environ.get("JUPYTER_PATH")]))}


def software() -> dict[str, str]:
    """What shapes a build besides its inputs: the package's sources and the libraries' versions."""
    from .cache import environment_fingerprint, package_fingerprint

    return {"package": package_fingerprint(), "libraries": environment_fingerprint()}


def build_task(edition, key: str, content: dict[str, bytes], timeout: int, provenance: dict,
               expected: dict[str, str]) -> tuple[BuildResult, dict[str, bytes]]:
    """Run on a worker: build ``edition`` from the bundle; return the result and its files' bytes.

    A worker whose package or libraries differ from the client's (``expected``)
    builds nothing: its edition would not be the one the client's cache key and
    record describe.
    """
    from .register import REGISTER_ENV

    if (found := software()) != expected:
        which = [name for name in expected if found.get(name) != expected[name]]
        return BuildResult(edition.label, "failed", ename="WorkerMismatch",
                           evalue=f"worker {_host()} runs other {' and '.join(which)} than the client "
                                  f"({found['libraries']} vs {expected['libraries']}); install the same "
                                  "requirements.lock and package on every worker"), {}
    with _ONE_BUILD:
        home = unpack(key, content)
        edition = dataclasses.replace(edition, notebook=home / "notebooks" / edition.notebook.name)
        env = {"BRIEFING_DATA": str(home / "data"), REGISTER_ENV: str(home / "analysis" / "judgments"),
               **_kernel_environment()}
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        try:
            with tempfile.TemporaryDirectory(prefix="briefing-build-") as tmp:
                result = build(edition, Path(tmp) / edition.slug, timeout=timeout, provenance=provenance)
                folder = Path(tmp) / edition.slug
                outputs = {name: (folder / name).read_bytes() for name in result.files if (folder / name).is_file()}
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return result, outputs


def _host() -> str:
    import socket

    return f"{socket.gethostname()} (pid {os.getpid()})"


def connect(scheduler: str, workers: int | None = None):
    """A client of the cluster at ``scheduler``, or of a new LocalCluster (``local``); and that cluster."""
    import logging

    from distributed import Client, LocalCluster

    # Dask's own log (workers joining and leaving, closed connections at shutdown) is noise in a
    # run's output; a failed or lost task reaches the report through its future.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    if scheduler == "local":
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR,
                               scheduler_kwargs={"dashboard_address": ":0"})  # its HTTP endpoints: any free port
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=TIMEOUT), None
    except (OSError, ValueError, TypeError) as err:  # unreachable, or not an address
        raise UsageError(f"--scheduler {scheduler}: no Dask scheduler answers there ({err}); "
                         "give tcp://host:8786, or 'local'") from None


def run_on_dask(todo, staging: Path, scheduler: str, timeout: int, provenance: dict,
                jobs: int | None = None) -> Iterator[BuildResult]:
    """Yield each edition's :class:`BuildResult` as its task finishes, its files written into ``staging``.

    ``jobs`` is the number of workers of a LocalCluster (ignored for an
    existing cluster, whose size is its own).
    """
    if not todo:
        return
    from distributed import as_completed

    client, cluster = connect(scheduler, jobs)
    try:
        key, content = bundle(todo)
        inputs = client.submit(_bundle_value, content, key=f"{BUNDLE_PREFIX}{key}", pure=True)
        expected = software()
        futures = {client.submit(build_task, edition, key, inputs, timeout, provenance, expected, pure=False,
                                 key=f"briefing-build-{edition.slug}-{edition.as_of}-{os.urandom(4).hex()}"): edition
                   for edition in todo}
        for future in as_completed(futures):
            edition = futures[future]
            try:
                result, outputs = future.result()
            except Exception as err:  # noqa: BLE001 - e.g. KilledWorker: the edition failed every retry
                result, outputs = BuildResult(edition.label, "failed", ename=type(err).__name__,
                                              evalue=str(err) or repr(err)), {}
            folder = staging / edition.folder
            folder.mkdir(parents=True, exist_ok=True)
            for name, raw in outputs.items():
                (folder / name).write_bytes(raw)
            yield result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
