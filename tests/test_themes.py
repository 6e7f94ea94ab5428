"""The analysis behind the briefs: judgments read their numbers from the data."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from briefing import data
from briefing.themes import alliance, crosscheck_table, overview, russia_policy, seoul, start, trilateral

MODULES = (alliance, seoul, trilateral, russia_policy, overview)
CURRENT = ("2025-12-15", "2022-02-24", "2025-10-25", "TLP:CLEAR")
MID_2024 = ("2024-06-30", "2022-02-24", "2024-03-31", "TLP:CLEAR")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
@pytest.mark.parametrize("edition", [CURRENT, MID_2024], ids=["current", "mid-2024"])
def test_each_brief_has_three_to_five_judgments_in_icd_203_terms(module, edition):
    found = module.judgments(start(*edition))
    assert 3 <= len(found) <= 5
    assert "Too little" not in module.key_judgments(start(*edition)).data


def test_troop_judgment_quotes_the_range_of_the_claims_known():
    ed = start(*CURRENT)
    troops = data.known_on(data.claims(), ed.as_of)
    troops = troops[troops["quantity"] == "dprk_troops_in_russia"]
    values = pd.concat([troops["value_low"], troops["value_best"], troops["value_high"]]).dropna()
    text = next(j.text for j in alliance.judgments(ed) if "troops" in j.text)
    assert f"{values.min():,.0f} to {values.max():,.0f}" in text
    first = troops.sort_values("claim_date")["claimant"].iloc[0]
    assert f"{first}, " in text and f"{troops['claimant'].nunique() - 2} other claimants" in text


def test_a_single_figure_is_not_shown_as_a_range():
    ed = start("2024-11-15", "2022-02-24", "2024-06-30", "TLP:CLEAR")
    assert alliance.troop_range(ed) == "about 12,000" and alliance.troop_claimants(ed) == "ROK NIS"


def test_wording_follows_the_record(data_copy):
    """Sentences that depend on an event say so only once it is on record."""
    ed = start("2025-06-10", "2022-02-24", "2025-06-01", "TLP:CLEAR")
    assert "Pyongyang had not yet answered in public" in seoul.header(ed).data
    assert not any("Lee's offers" in j.text for j in seoul.judgments(ed))
    assert "immigration raid" not in trilateral.header(start("2025-08-15", "2022-02-24", "2025-06-01", "TLP:CLEAR")).data
    assert "immigration raid" in trilateral.header(start(*CURRENT)).data


def test_estimate_range_is_never_an_average():
    frame = pd.DataFrame({"value_low": [11000.0, None], "value_best": [None, 15000.0], "value_high": [12000.0, None]})
    assert alliance.span(frame) == (11000.0, 15000.0)


def test_budget_judgment_uses_enacted_reported_figures():
    ed = start(*CURRENT)
    text = next(j.text for j in seoul.judgments(ed) if "defence budget" in j.text)
    budget = data.indicators()
    enacted = budget[(budget["indicator_id"] == "rok_defence_budget") & (budget["stage"] == "enacted")
                     & (budget["period"] == "2026")]
    assert f"KRW {enacted['value'].iloc[0]:.2f} trillion enacted for 2026" in text


def test_a_changed_value_changes_the_judgment(tmp_path, monkeypatch):
    """The judgments' numbers are placeholders bound to data queries: edit the data and the sentence follows."""
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(data.data_dir(), copy)
    monkeypatch.setenv("BRIEFING_REGISTER", str(data.data_dir().parent / "analysis" / "judgments"))
    before = alliance.judgments(start(*CURRENT))
    claims = copy / "claims.csv"
    assert ",15000,,persons,2025-04-30," in claims.read_text()
    claims.write_text(claims.read_text().replace(",15000,,persons,2025-04-30,", ",17000,,persons,2025-04-30,"))
    monkeypatch.setenv("BRIEFING_DATA", str(copy))
    data._load.cache_clear()
    try:
        after = alliance.judgments(start(*CURRENT))
    finally:
        data._load.cache_clear()
    assert "10,000 to 15,000" in " ".join(j.text for j in before)
    assert "10,000 to 17,000" in " ".join(j.text for j in after)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_as_of_before_the_data_gives_a_brief_that_says_so(module):
    ed = start("2019-06-30", "", "2019-01-01", "TLP:CLEAR")
    assert ed.since == "2019-06-30"
    assert module.header(ed).data.startswith("<h1>")
    box = module.key_judgments(ed).data
    assert "Too little had been reported by 30 Jun 2019" in box


def test_mid_2024_judgments_know_nothing_of_later_events():
    ed = start(*MID_2024)
    text = " ".join(j.text for m in MODULES for j in m.judgments(ed))
    assert "Lee" not in text and "troops" not in text
    later = data.events()
    later = later[later["reported_on"] > pd.Timestamp(ed.as_of)]
    for date in later["date_start"].dt.strftime("%-d %b %Y"):
        assert date not in text


def test_crosscheck_is_empty_before_the_article():
    html = crosscheck_table(start(*MID_2024)).data
    assert "postdates this edition" in html


def test_claimed_trade_figure_is_read_from_the_crosscheck_row():
    year, value, label = russia_policy.claimed_trade(start(*CURRENT))
    row = data.crosscheck().set_index("check_id").loc["ck_48_trade_17_5bn"]
    assert f"{value:g}" in row["analysis_value"] and str(year) in row["analysis_value"]
    assert russia_policy.claimed_trade(start(*MID_2024)) is None


def test_side_by_side_splits_at_the_inauguration():
    html = seoul.side_by_side(start(*CURRENT)).data
    assert "Lee (from 4 Jun 2025)" in html
    assert "Lee (not yet in office)" in seoul.side_by_side(start(*MID_2024)).data


def test_every_number_in_a_judgment_is_in_the_data_or_derived():
    """Numbers typed into a judgment would not move with the data: each must come from a row."""
    ed = start(*CURRENT)
    cells = " ".join(str(v) for name in ("claims", "indicators", "polls", "sanctions", "events")
                     for v in data.load(name).astype(str).to_numpy().ravel())
    values = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", cells.replace(",", ""))}
    checked = 0
    for module in MODULES:
        for judgment in module.judgments(ed):
            for number in re.findall(r"\d[\d,.]*\d|\d", judgment.text):
                plain = number.replace(",", "").rstrip(".")
                if len(plain) >= 3 and not re.fullmatch(r"20\d\d", plain):
                    checked += 1
                    assert _from_data(plain, values), (module.__name__, number, judgment.text)
    assert checked >= 5, "the judgments quote figures from the data"


def test_an_edition_long_after_its_record_says_the_record_is_stale_and_calls_nothing_unchanged():
    ed = start("2026-11-29", "", "", "TLP:CLEAR")
    end = max(data.load(name).query("reported_on_basis != 'upper_bound'")["reported_on"].max()
              for name in data.FACT_TABLES)
    header = overview.header(ed).data
    assert f"The record ends {end:%-d %b %Y}." in header
    assert "Stale record." in header and f"{(pd.Timestamp('2026-11-29') - end).days} days earlier" in header
    changes = alliance.changes(ed).data
    assert "no new reporting" in changes and "unchanged" not in changes.replace("so no theme is called unchanged", "")
    assert "no change since then can be assessed" in header


def test_a_current_edition_states_its_record_end_without_a_stale_notice():
    ed = start(*CURRENT)
    header = alliance.header(ed).data
    assert "The record ends " in header and "Stale record" not in header
    assert alliance.header(ed).metadata["briefing"]["record_end"] == ed.record_end


def test_launch_tempo_plots_every_launch_row_known_per_basis_never_summed(data_copy, monkeypatch):
    rows = data.known_on(data.indicators(), "2025-12-15")
    rows = rows[rows["indicator_id"] == "dprk_ballistic_launches"]
    shown = alliance.launch_tempo(start(*CURRENT)).chart.data
    latest = rows.sort_values("reported_on").drop_duplicates(["counting_basis", "period"], keep="last")
    assert sorted(zip(shown["counting_basis"], shown["year"], shown["value"])) == sorted(
        zip(latest["counting_basis"], latest["period"].astype(int), latest["value"]))
    assert shown.groupby(["counting_basis", "year"]).size().max() == 1


def test_changing_a_launch_count_changes_the_alliance_brief(tmp_path, monkeypatch):
    import shutil

    copy = tmp_path / "data"
    shutil.copytree(data.data_dir(), copy)
    before = alliance.launch_tempo(start(*CURRENT)).chart.alt
    path = copy / "indicators.csv"
    text = path.read_text()
    assert ",2019,25,count," in text
    path.write_text(text.replace(",2019,25,count,", ",2019,26,count,"))
    monkeypatch.setenv("BRIEFING_DATA", str(copy))
    data._load.cache_clear()
    after = alliance.launch_tempo(start(*CURRENT)).chart.alt
    data._load.cache_clear()
    assert before != after and "26 in 2019" in after


def _from_data(number: str, values: set[float]) -> bool:
    """A value in the data, shown to the precision ``number`` is written in (never a typed figure)."""
    decimals = len(number.partition(".")[2])
    return any(f"{value:.{decimals}f}" == number for value in values)
