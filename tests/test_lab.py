"""Render with parameters from JupyterLab: the ``/briefing`` page of the Jupyter Server extension (briefing.lab).

The form's values are parsed like ``briefing render``'s (typed literals, never
evaluated); the server tests start a real JupyterLab on a copy of the project,
with the extension enabled by the project's own config file, and drive it over
HTTP and in Debian's Chromium.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pytest

from briefing import lab, publish
from briefing.edition import MARKINGS
from briefing.errors import ParameterError, UsageError
from briefing.params import Parameter, declared
from conftest import launch_chromium

ROOT = Path(__file__).resolve().parents[1]
BRIEF = "01-dprk-russia-alliance"
PREFIX = "/user/analyst"  # the server's base_url, as under JupyterHub: every link must carry it
BAD_DATE = f"{BRIEF}.ipynb: parameter 'as_of': '2024-02-30' is not a date YYYY-MM-DD"


# ---------------------------------------------------------------- the form, without a server


def test_form_fields_follow_the_declared_parameters():
    params = declared(ROOT / "notebooks" / f"{BRIEF}.ipynb")
    kinds = {name: lab.field_kind(p) for name, p in params.items()}
    assert kinds == {"as_of": "date", "since": "date", "previous_edition": "date", "marking": "marking"}
    assert lab.shown(params["as_of"]) == params["as_of"].default and lab.shown(params["marking"]) == "TLP:CLEAR"


def test_form_values_are_typed_literals_and_fields_left_at_default_follow_as_of():
    params = {"as_of": Parameter("as_of", "str", "2025-12-15", ""), "since": Parameter("since", "str", "", ""),
              "marking": Parameter("marking", "str", "TLP:CLEAR", ""), "top": Parameter("top", "int", 5, ""),
              "regions": Parameter("regions", "list", ["ROK"], ""), "full": Parameter("full", "bool", False, "")}
    form = {"as_of": "2024-06-30", "since": "", "marking": "TLP:CLEAR", "top": "5", "regions": "['ROK']",
            "full": "false", "_xsrf": "x", "publish": "on"}
    assert lab.form_values("n.ipynb", params, form) == {"as_of": "2024-06-30"}  # like --as-of 2024-06-30
    changed = {**form, "top": "7", "regions": "['ROK', 'DPRK']", "full": "true", "marking": "TLP:AMBER"}
    assert lab.form_values("n.ipynb", params, changed) == {
        "as_of": "2024-06-30", "top": 7, "regions": ["ROK", "DPRK"], "full": True, "marking": "TLP:AMBER"}
    with pytest.raises(ParameterError, match=r"^n.ipynb: parameter 'as_of': '2024-02-30' is not a date YYYY-MM-DD$"):
        lab.form_values("n.ipynb", params, {**form, "as_of": "2024-02-30"})
    with pytest.raises(ParameterError, match="parameter 'regions'"):  # a literal or nothing: never evaluated
        lab.form_values("n.ipynb", params, {**form, "regions": "__import__('os').system('touch pwned')"})
    with pytest.raises(ParameterError, match="parameter 'marking'"):
        lab.form_values("n.ipynb", params, {**form, "marking": "SECRET"})
    with pytest.raises(UsageError, match="unknown field"):
        lab.form_values("n.ipynb", params, {**form, "kernel_name": "python3"})


def test_set_up_enables_the_extension_and_the_docs_link_the_page():
    config = ROOT / "jupyter-config" / "jupyter_server_config.d" / "briefing.json"
    assert json.loads(config.read_text()) == {"ServerApp": {"jpserver_extensions": {"briefing.lab": True}}}
    makefile, readme = (ROOT / "Makefile").read_text(), (ROOT / "README.md").read_text()
    # An editable install leaves data files out, so set-up copies the file into the venv's config.
    assert f"{config.relative_to(ROOT)} $(VENV)/etc/jupyter/jupyter_server_config.d/briefing.json" in makefile
    assert "jupyter-config/jupyter_server_config.d/briefing.json" in (ROOT / "pyproject.toml").read_text()
    assert "http://localhost:8888/briefing" in makefile.partition("\nlab:")[2].partition("\n\n")[0]
    editing = readme.partition("## Editing a brief")[2].partition("\n## ")[0]
    assert "http://localhost:8888/briefing" in editing
    assert lab._jupyter_server_extension_points() == [{"module": "briefing.lab"}]


def test_page_templates_leave_nbconvert_s_lab_template_alone():
    # The brief template extends nbconvert's "lab" template, looked up on the same path as ours.
    assert not (ROOT / "src" / "briefing" / "templates" / "lab").exists()
    assert (ROOT / "src" / "briefing" / "templates" / "labpage" / "briefs.html.j2").is_file()


# ---------------------------------------------------------------- a real JupyterLab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(server, method: str, path: str, fields: dict | list | None = None, token: bool = False,
             cookie: str | None = None) -> tuple[int, dict, str]:
    """One HTTP request, redirects not followed: (status, headers, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    headers = {}
    if token:
        headers["Authorization"] = f"token {server.token}"
    if cookie:
        headers["Cookie"] = cookie
    body = None
    if fields is not None:
        body = urllib.parse.urlencode(fields)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """JupyterLab on 127.0.0.1 over a copy of the project (notebooks/, data/), the extension enabled by its config."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "data", root / "data", ignore=shutil.ignore_patterns(".*"))
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k not in ("BRIEFING_DATA", "JUPYTER_TOKEN")}
    env.update(JUPYTER_CONFIG_PATH=str(ROOT / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])))
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter), "lab"] if jupyter.exists() else [sys.executable, "-m", "jupyterlab"]
    command += ["--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                f"--ServerApp.base_url={PREFIX}/"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = base / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    origin = f"http://127.0.0.1:{port}"
    ns = SimpleNamespace(root=root, port=port, token=token, origin=origin, url=origin + PREFIX, log=log, env=env)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if _request(ns, "GET", f"{PREFIX}/api/status", token=True)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not start in 90 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        assert "briefing.lab | extension was successfully loaded" in log.read_text()
        yield ns
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _wait_for_outcome(server, job_path: str, timeout: float = 240) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, body = _request(server, "GET", job_path, token=True)
        assert status == 200, body[-500:]
        state = re.search(r'id="outcome" data-state="([^"]+)"', body).group(1)
        if state not in ("starting", "validating", "rendering"):
            return html.unescape(body)
        time.sleep(0.5)
    pytest.fail(f"no outcome within {timeout} s")


def test_requests_without_a_login_are_refused(server):
    status, headers, _ = _request(server, "GET", f"{PREFIX}/briefing")
    assert status == 302 and headers["location"].startswith(f"{PREFIX}/login?next=")
    for path in (f"{PREFIX}/briefing/files/index.html", f"{PREFIX}/briefing/jobs/0123456789ab"):
        assert _request(server, "GET", path)[0] in (302, 403), path
    status, _, _ = _request(server, "POST", f"{PREFIX}/briefing/render/{BRIEF}", {"as_of": "2024-06-30"})
    assert status == 403
    assert not (server.root / "briefs" / "_drafts").exists()


def test_a_post_without_xsrf_is_refused(server):
    # Log in as a browser does (the token once, then the cookie); http.client keeps each Set-Cookie header.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("GET", f"{PREFIX}/briefing?token={server.token}")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = "; ".join(v.split(";")[0] for k, v in response.getheaders() if k.lower() == "set-cookie")
    connection.close()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    fields = {"as_of": "2024-02-30", "since": "", "previous_edition": "", "marking": "TLP:CLEAR"}
    status, _, body = _request(server, "POST", f"{PREFIX}/briefing/render/{BRIEF}", fields, cookie=cookie)
    assert status == 403, body[-500:]  # logged in by cookie, but no _xsrf: refused before any check
    status, _, body = _request(server, "POST", f"{PREFIX}/briefing/render/{BRIEF}", {**fields, "_xsrf": xsrf},
                               cookie=cookie)
    assert status == 400 and BAD_DATE in html.unescape(body)  # with it, the form is read (and the date refused)


def test_a_bad_date_shows_the_cli_s_one_line_error(server):
    fields = {"as_of": "2024-02-30", "since": "", "previous_edition": "", "marking": "TLP:CLEAR", "format": "html"}
    status, _, body = _request(server, "POST", f"{PREFIX}/briefing/render/{BRIEF}", fields, token=True)
    assert status == 400
    shown = re.search(r'<p class="error" role="alert" id="error">(.*?)</p>', body, re.S).group(1)
    assert html.unescape(shown) == BAD_DATE
    cli = subprocess.run([sys.executable, "-m", "briefing.cli", "render", BRIEF, "--as-of", "2024-02-30"],
                         cwd=server.root, env={**server.env, "BRIEFING_DATA": str(server.root / "data")},
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2 and BAD_DATE in cli.stderr, cli.stderr


def test_only_catalog_briefs_render_and_only_briefs_files_are_served(server):
    for slug in ("99-not-in-catalog", "..%2Fnotebooks"):
        assert _request(server, "POST", f"{PREFIX}/briefing/render/{slug}", {"as_of": "2024-06-30"}, token=True)[0] == 404
    (server.root / "briefs").mkdir(exist_ok=True)
    for path in ("..%2fdata%2fdatapackage.json", "%2e%2e/notebooks/catalog.yml", "..%2F..%2F..%2Fetc%2Fpasswd",
                 ".lock", "_runs/..%2f..%2fdata%2fevents.csv"):
        assert _request(server, "GET", f"{PREFIX}/briefing/files/{path}", token=True)[0] == 404, path


def test_a_render_while_the_lock_is_held_shows_the_cli_s_message(server):
    fields = {"as_of": "2024-06-30", "format": "html"}
    with publish.locked(server.root / "briefs"):
        status, headers, body = _request(server, "POST", f"{PREFIX}/briefing/render/{BRIEF}", fields, token=True)
        assert status == 303, body[-500:]
        outcome = _wait_for_outcome(server, headers["location"], timeout=120)
    message = re.search(r'id="outcome" data-state="error"[^>]*>(.*?)</p>', outcome, re.S).group(1)
    assert message.startswith(f"another render holds {server.root / 'briefs' / '.lock'} (pid {os.getpid()}")
    assert not (server.root / "briefs" / "_drafts" / BRIEF).exists()


def _state(tab) -> str | None:
    try:
        return tab.get_attribute("#outcome", "data-state", timeout=2000)
    except Exception:  # the page is reloading itself (meta refresh)
        return None


def test_render_with_parameters_in_a_real_browser(server, capsys):
    from playwright.sync_api import sync_playwright

    external, dialogs = [], []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            tab = browser.new_page()
            tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

            def route(r):
                if r.request.url.startswith(server.origin + "/"):
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            tab.route("**/*", route)
            tab.goto(f"{server.url}/briefing?token={server.token}", wait_until="load")
            assert tab.locator("h1").inner_text() == "Briefs"
            targets = tab.eval_on_selector_all("a[href], form[action]", "els => els.map(e => e.getAttribute("
                                               "e.tagName === 'FORM' ? 'action' : 'href'))")
            assert targets and all(t.startswith((f"{PREFIX}/", "#")) for t in targets), targets  # base_url kept
            form = tab.locator(f'form[action="{PREFIX}/briefing/render/{BRIEF}"]')
            assert form.locator("input[name=as_of]").get_attribute("type") == "date"
            assert form.locator("input[name=since]").get_attribute("type") == "date"
            assert form.locator("select[name=marking] option").all_inner_texts() == list(MARKINGS)
            assert "nothing reported after it is shown" in form.inner_text()  # help from the parameters cell

            # A bad date typed as text: the CLI's one-line error on the page, nothing rendered.
            form.locator("input[name=as_of]").evaluate("el => el.type = 'text'")
            form.locator("input[name=as_of]").fill("2024-02-30")
            form.locator("button[type=submit]").click()
            tab.wait_for_load_state("load")
            assert tab.locator("#error").inner_text() == BAD_DATE

            tab.goto(f"{server.url}/briefing", wait_until="load")  # the login cookie is enough now
            form = tab.locator(f'form[action="{PREFIX}/briefing/render/{BRIEF}"]')
            form.locator("input[name=as_of]").fill("2024-06-30")
            form.locator("select[name=marking]").select_option("TLP:CLEAR")
            form.locator("input[name=format][value=pdf]").uncheck()
            clock = time.perf_counter()
            form.locator("button[type=submit]").click()
            tab.wait_for_url(re.compile(r"/briefing/jobs/[0-9a-f]+$"))
            # One render at a time: a second request meanwhile gets the queue message.
            second = tab.request.post(f"{server.url}/briefing/render/{BRIEF}",
                                      headers={"Authorization": f"token {server.token}"},
                                      form={"as_of": "2024-05-31", "format": "html"})
            assert second.status == 409 and "a render is already running" in html.unescape(second.text())
            deadline = time.monotonic() + 240
            while (state := _state(tab)) not in ("ok", "failed", "error") and time.monotonic() < deadline:
                time.sleep(0.2)
            page_seconds = time.perf_counter() - clock
            outcome = tab.locator("#outcome").inner_text()
            assert state == "ok", outcome
            link = tab.locator("a.result")
            assert link.all_inner_texts() == [f"{BRIEF}.html"]
            link.click()
            tab.wait_for_load_state("load")
            brief = tab.inner_text("body")
        finally:
            browser.close()
    assert external == [] and dialogs == []
    assert brief.lstrip().startswith("TLP:CLEAR") and "As of 2024-06-30" in brief
    edition = server.root / "briefs" / "_drafts" / BRIEF / "2024-06-30"
    assert (edition / f"{BRIEF}.html").is_file() and not (edition / f"{BRIEF}.pdf").exists()
    record = json.loads((edition / "edition.json").read_text())
    assert record["draft"] is True and record["parameters"]["as_of"] == "2024-06-30"
    assert not (server.root / "briefs" / "_drafts" / BRIEF / "2024-05-31").exists()

    clock = time.perf_counter()
    cli = subprocess.run([sys.executable, "-m", "briefing.cli", "render", BRIEF, "--as-of", "2024-06-30",
                          "--format", "html", "--force"], cwd=server.root, capture_output=True, text=True,
                         env={**server.env, "BRIEFING_DATA": str(server.root / "data")}, timeout=300)
    cli_seconds = time.perf_counter() - clock
    assert cli.returncode == 0, cli.stderr
    with capsys.disabled():
        print(f"\nrender {BRIEF}@2024-06-30 html (draft): through the page {page_seconds:.1f} s "
              f"(click to outcome; {outcome}), CLI {cli_seconds:.1f} s ({cli.stdout.strip()})")
