"""Every scheduler calls the same script, and the script calls `briefing render`."""

from __future__ import annotations

import subprocess

import yaml

from conftest import ROOT

DEPLOY = ROOT / "deploy"


def test_nightly_script_is_valid_bash_and_renders_as_of_today():
    script = DEPLOY / "nightly.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "briefing render --as-of today" in text and "briefing prune --keep" in text
    assert 'exit "$status"' in text, "the render's exit code is the script's"


def test_cron_systemd_and_actions_all_call_the_script():
    cron = [line for line in (DEPLOY / "crontab").read_text().splitlines() if line and not line.startswith("#")]
    assert len(cron) == 1 and cron[0].split()[5].endswith("deploy/nightly.sh")
    service = (DEPLOY / "peninsula-briefs.service").read_text()
    assert "ExecStart=/srv/peninsula-briefs/deploy/nightly.sh" in service and "SuccessExitStatus=1" in service
    assert "OnCalendar=" in (DEPLOY / "peninsula-briefs.timer").read_text()
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "nightly-briefs.yml").read_text())
    assert workflow[True]["schedule"][0]["cron"]  # YAML reads the key `on` as True
    steps = workflow["jobs"]["render"]["steps"]
    assert any(step.get("run") == "deploy/nightly.sh" for step in steps)
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "briefs/" and upload["if"] == "always()"
