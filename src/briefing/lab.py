"""Render with parameters from JupyterLab: a Jupyter Server extension serving ``/briefing``.

The *Briefs* page lists the catalog's briefs with their latest editions and,
per brief, a form built from the parameters its notebook declares (a date
picker for dates, the TLP labels for ``marking``, defaults and help from the
``parameters`` cell).  *Render* checks the values with :mod:`briefing.params`
(typed literals, never evaluated) and the catalog, then runs
:func:`briefing.render.render` in a separate process (:mod:`briefing.labjob`),
one render at a time; the job page refreshes itself until the outcome, with
links to the HTML and PDF, or the one-line error the CLI would print.

Enabled by ``jupyter-config/jupyter_server_config.d/briefing.json``, which
set-up installs into ``<venv>/etc/jupyter/``; ``jupyter server extension
list`` shows it.  Every handler requires a logged-in user; POSTs are checked
against XSRF by the server; only briefs in the catalog can be rendered; the
``briefs/`` folder is served read-only, HTML in a sandbox.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import mimetypes
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from . import catalog, publish
from .edition import DATE_PARAMETERS, DRAFTS, MARKINGS, marking_area
from .errors import BriefingError, UsageError
from .params import Parameter, coerce, declared

ROUTE = "briefing"
FORM_CONTROLS = {"_xsrf", "format", "publish"}  # form fields that are not notebook parameters
SERVED = {".html", ".pdf", ".json", ".ipynb"}  # what /briefing/files/ serves from briefs/
# Briefs are offline by construction (their own CSP has no script-src); served from the server's
# origin they are also sandboxed, so nothing in one could act as the logged-in user.
BRIEF_CSP = ("sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; img-src data:; "
             "style-src 'unsafe-inline'; font-src data:; frame-ancestors 'self'")
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'"


def _jupyter_server_extension_points():
    return [{"module": "briefing.lab"}]


def _load_jupyter_server_extension(serverapp) -> None:
    lab = Lab(Path(serverapp.root_dir).resolve(), serverapp.log)
    base = serverapp.web_app.settings["base_url"]
    route = lambda path: url_path_join(base, ROUTE, path)  # noqa: E731
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base, ROUTE) + "/?", BriefsHandler, {"lab": lab}),
        (route("render/([^/]+)"), RenderHandler, {"lab": lab}),
        (route("jobs/([0-9a-f]+)"), JobHandler, {"lab": lab}),
        (route("files/(.*)"), FilesHandler, {"lab": lab}),
    ])
    serverapp.log.info("briefing: Briefs page at %s (project %s)", url_path_join(base, ROUTE),
                       lab.root or "not found")


def project_root(start: Path) -> Path | None:
    """The project: ``start`` or the nearest folder above it with ``notebooks/catalog.yml``."""
    for base in (start, *start.parents):
        if (base / "notebooks" / "catalog.yml").is_file():
            return base
    return None


# ---------------------------------------------------------------- the form


def field_kind(param: Parameter) -> str:
    """How the form asks for ``param``: 'date', 'marking', 'bool' or 'text'."""
    if param.name in DATE_PARAMETERS:
        return "date"
    if param.name == "marking":
        return "marking"
    return "bool" if param.type == "bool" else "text"


def shown(param: Parameter) -> str:
    """``param``'s default as the form shows it (and as :func:`form_values` parses it back)."""
    if param.type == "bool":
        return "true" if param.default else "false"
    return param.default if isinstance(param.default, str) else repr(param.default)


def form_values(notebook: str, params: dict[str, Parameter], form: dict[str, str]) -> dict:
    """The parameters a form sets, typed: ``as_of`` always, the others where changed from their default.

    As on the command line (``--as-of DATE -p NAME=VALUE``): a field left at
    its default is not an override, so ``since`` and ``previous_edition``
    still follow from the chosen ``as_of``.  Values are parsed by
    :func:`briefing.params.coerce` (typed literals, never evaluated); a bad
    one raises :class:`~briefing.errors.ParameterError` naming it.
    """
    if unknown := sorted(set(form) - set(params) - FORM_CONTROLS):
        raise UsageError(f"{notebook}: unknown field(s) {', '.join(unknown)} (declared: {', '.join(params)})")
    given = {name: form[name].strip() for name in params if name in form
             and (name == "as_of" or form[name].strip() != shown(params[name]))}
    return coerce(notebook, params, given)


# ---------------------------------------------------------------- jobs


@dataclass
class Job:
    """One render started from the page: its process and the state file it writes."""

    id: str
    brief: str
    label: str
    folder: str
    overrides: dict
    formats: tuple[str, ...]
    process: subprocess.Popen
    state_file: Path
    log_file: Path
    started: float = field(default_factory=time.time)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def state(self) -> dict:
        state = publish.read_json(self.state_file) or {"state": "starting", "entries": [], "error": None}
        code = self.process.poll()
        if code is not None and state["state"] not in ("done", "error"):
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-1:] if self.log_file.exists() else []
            state.update(state="error", error=f"the render process exited with code {code}"
                         + (f": {tail[0]}" if tail else ""))
        state["elapsed"] = round(time.time() - self.started, 1)
        return state


class Lab:
    """The project behind the page and the renders it started (one at a time)."""

    def __init__(self, server_root: Path, log):
        self.server_root, self.log = server_root, log
        self.root = project_root(server_root)
        self.jobs: dict[str, Job] = {}
        self.work = Path(tempfile.mkdtemp(prefix="briefing-lab-"))
        atexit.register(self.stop)

    @property
    def briefs_dir(self) -> Path:
        return self.root / "briefs"

    def catalog(self) -> list[catalog.Brief]:
        if self.root is None:
            raise UsageError(f"no notebooks/catalog.yml in {self.server_root} or above; start JupyterLab in the project")
        return catalog.load(self.root / "notebooks" / "catalog.yml")

    def brief(self, slug: str) -> catalog.Brief:
        for brief in self.catalog():
            if brief.slug == slug:
                return brief
        raise web.HTTPError(404, "no brief %r in the catalog", slug)

    def running(self) -> Job | None:
        return next((job for job in self.jobs.values() if job.running), None)

    def start(self, brief: str, label: str, folder: str, overrides: dict, formats: tuple[str, ...],
              publish_drafts: bool) -> Job:
        job_id = secrets.token_hex(6)
        state, log = self.work / f"{job_id}.json", self.work / f"{job_id}.log"
        spec = self.work / f"{job_id}.spec.json"
        spec.write_text(json.dumps({"root": str(self.root), "brief": brief, "overrides": overrides,
                                    "formats": list(formats), "publish": publish_drafts, "state": str(state)}))
        env = {**os.environ, "BRIEFING_DATA": str(self.root / "data")}
        with open(log, "wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "briefing.labjob", str(spec)], cwd=self.root, env=env,
                                       stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        job = Job(job_id, brief, label, folder, overrides, formats, process, state, log)
        self.jobs[job_id] = job
        self.log.info("briefing: render %s started (job %s, pid %s)", label, job_id, process.pid)
        return job

    def stop(self) -> None:
        """At server exit: stop a render still running (the lock and atomic publishing leave nothing half-done)."""
        import shutil

        for job in self.jobs.values():
            if job.running:
                job.process.terminate()
                job.process.wait(10)
        shutil.rmtree(self.work, ignore_errors=True)

    def editions(self, slug: str) -> dict[str, list[dict]]:
        """Latest published edition of ``slug`` per marking, and its newest drafts (all markings)."""
        latest, drafts = [], []
        for marking in MARKINGS:
            area = marking_area(marking)
            found = [r for r in publish.published_editions(self.briefs_dir, area) if r.get("slug") == slug]
            if found:
                latest.append(max(found, key=lambda r: r.get("as_of", "")))
            drafts += [r for r in publish.published_editions(self.briefs_dir, f"{DRAFTS}/{area}".rstrip("/"))
                       if r.get("slug") == slug]
        drafts.sort(key=lambda r: r.get("rendered_at") or "", reverse=True)
        return {"latest": latest, "drafts": drafts[:5]}


# ---------------------------------------------------------------- handlers

# Not templates/lab/: nbconvert finds its own "lab" template (which the brief extends) on the same path.
_TEMPLATES = None


def _template(name: str):
    global _TEMPLATES
    if _TEMPLATES is None:
        from jinja2 import Environment, PackageLoader, select_autoescape

        _TEMPLATES = Environment(loader=PackageLoader("briefing", "templates/labpage"),
                                 autoescape=select_autoescape(default=True, default_for_string=True))
    return _TEMPLATES.get_template(name)


class LabHandler(JupyterHandler):
    """Base: the project, templates, and a strict Content-Security-Policy (no script at all)."""

    def initialize(self, lab: Lab):
        self.lab = lab

    @property
    def content_security_policy(self) -> str:
        return f"{super().content_security_policy}; {PAGE_CSP}"

    def url(self, *parts: str) -> str:
        return url_path_join(self.base_url, ROUTE, *parts)

    def page(self, template: str, status: int = 200, **context) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(_template(template).render(
            url=self.url, xsrf_form_html=self.xsrf_form_html(), root=self.lab.root, lab_url=url_path_join(
                self.base_url, "lab"), **context))

    async def briefs_page(self, status: int = 200, **context) -> None:
        """The Briefs page; ``context`` may carry an error and the values submitted for one brief."""
        try:
            forms = await asyncio.to_thread(self.forms)
            problem = None
        except BriefingError as err:
            forms, problem = [], str(err)
        running = self.lab.running()
        self.page("briefs.html.j2", status, forms=forms, problem=problem, running=running,
                  markings=MARKINGS, **context)

    def forms(self) -> list[dict]:
        forms = []
        for brief in self.lab.catalog():
            params = declared(brief.notebook)
            try:
                notebook = brief.notebook.resolve().relative_to(self.lab.server_root).as_posix()
            except ValueError:
                notebook = None
            fields = [{"name": p.name, "kind": field_kind(p), "value": shown(p), "help": p.help, "type": p.type}
                      for p in params.values()]
            forms.append({"slug": brief.slug, "notebook": notebook, "draft": brief.draft, "fields": fields,
                          "formats": brief.formats, "editions": self.lab.editions(brief.slug),
                          "catalog": brief.editions})
        return forms


class BriefsHandler(LabHandler):
    @web.authenticated
    async def get(self):
        await self.briefs_page()


class RenderHandler(LabHandler):
    @web.authenticated
    async def post(self, slug: str):
        try:
            brief = self.lab.brief(slug)  # 404 unless in the catalog
        except BriefingError as err:  # the catalog itself is broken
            return await self.briefs_page(400, error=str(err))
        form = {name: self.get_body_argument(name) for name in self.request.body_arguments if name != "format"}
        formats = tuple(self.get_body_arguments("format")) or brief.formats
        publish_drafts = form.get("publish") == "on"
        if running := self.lab.running():
            return await self.briefs_page(409, error=f"a render is already running ({running.label}); one render "
                                          "at a time: wait for it to finish, then render again",
                                          error_brief=slug, submitted=form, job=running)
        try:
            overrides, edition = await asyncio.to_thread(self.check, brief, form, formats, publish_drafts)
        except BriefingError as err:
            return await self.briefs_page(400, error=str(err), error_brief=slug, submitted=form)
        if running := self.lab.running():  # another request started one while this one was checked
            return await self.briefs_page(409, error=f"a render is already running ({running.label})",
                                          error_brief=slug, submitted=form, job=running)
        job = self.lab.start(slug, edition.label, edition.folder.as_posix(), overrides, formats, publish_drafts)
        self.redirect(self.url("jobs", job.id), status=303)

    def check(self, brief: catalog.Brief, form: dict, formats: tuple[str, ...], publish_drafts: bool):
        """Typed overrides and the edition they make: the checks ``briefing render`` makes before any kernel."""
        overrides = form_values(brief.notebook.name, declared(brief.notebook), form)
        [edition] = catalog.editions(self.lab.catalog(), (brief.slug,), overrides, formats, publish=publish_drafts)
        return overrides, edition


class JobHandler(LabHandler):
    @web.authenticated
    def get(self, job_id: str):
        job = self.lab.jobs.get(job_id)
        if job is None:
            raise web.HTTPError(404, "no render %s since the server started", job_id)
        state = job.state()
        for entry in state["entries"]:  # what can be read now, a cached edition's files too
            folder = self.lab.briefs_dir / entry["folder"]
            entry["links"] = sorted(p.name for p in folder.glob("*") if p.suffix in (".html", ".pdf")) \
                if entry["status"] != "failed" and folder.is_dir() else []
        self.page("job.html.j2", job=job, state=state, running=self.lab.running())


class FilesHandler(LabHandler):
    """``briefs/`` read-only: editions, indexes and run reports; nothing outside it, no hidden files."""

    @web.authenticated
    def get(self, path: str):
        if self.lab.root is None:
            raise web.HTTPError(404)
        base = self.lab.briefs_dir.resolve()
        parts = [p for p in path.split("/") if p]
        target = base.joinpath(*parts) if parts else base
        if any(p.startswith(".") for p in parts):
            raise web.HTTPError(404)
        target = target.resolve()
        if target.is_dir():
            if path and not path.endswith("/"):  # so the index's relative links resolve
                return self.redirect(self.url("files", path) + "/")
            target = target / "index.html"
        if not target.is_relative_to(base) or not target.is_file() or target.suffix not in SERVED:
            raise web.HTTPError(404)
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.set_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") else ""))
        self.set_header("Cache-Control", "no-store")
        if target.suffix == ".html":
            self.set_header("Content-Security-Policy", BRIEF_CSP)
        self.finish(target.read_bytes())
