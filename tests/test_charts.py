"""The data behind every chart, not its pixels (nbval ignores images too).

Frames are built here, typed as ``briefing.data`` returns them: dates as
datetime64, numbers as float64, text as the pandas string dtype.
"""

from __future__ import annotations

import base64

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from briefing import charts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
AS_OF = "2025-10-25"


def typed(rows: list[dict], dates=(), numbers=()) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if column in dates:
            frame[column] = pd.to_datetime(frame[column])
        elif column in numbers:
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
        else:
            frame[column] = frame[column].astype("string")
    return frame


def claims_frame() -> pd.DataFrame:
    rows = [  # id, quantity, low, best, high, claim date, claimant, type, sources
        ("cl_nis_1", "dprk_troops_in_russia", None, 12000, None, "2024-10-18", "ROK NIS", "rok_gov", "kbs_a"),
        ("cl_pol", "dprk_troops_in_russia", None, 11000, None, "2025-04-26", "Politico", "media", "politico_a"),
        ("cl_nis_2", "dprk_troops_in_russia", 11000, 15000, 15000, "2025-04-30", "ROK NIS", "rok_gov", "kbs_b;kbs_a"),
        ("cl_dia", "dprk_troops_in_russia", 12500, 13000, 13500, "2025-07-01", "ROK DIA", "rok_gov", "defnews"),
        ("cl_res", "dprk_troops_in_russia", None, 14000, None, "2025-10-25", "Resurgam", "analysis_article",
         "resurgam"),
        ("cl_shells", "dprk_shells", 1000000, None, None, "2025-07-13", "ROK DIA", "rok_gov", "menafn"),
        ("cl_upto", "dprk_shells", None, None, 6000000, "2024-08-27", "ROK DIA", "rok_gov", "kyiv"),
    ]
    keys = ["claim_id", "quantity", "value_low", "value_best", "value_high", "claim_date", "claimant",
            "claimant_type", "source_ids"]
    records = [dict(zip(keys, row)) | {"unit": "persons" if "troops" in row[1] else "rounds", "reported_on": row[5]}
               for row in rows]
    # Shuffled on purpose: the chart sorts by claim date itself.
    return typed(records[::-1], dates=("claim_date", "reported_on"),
                 numbers=("value_low", "value_best", "value_high"))


def indicator_frame(rows: list[tuple], indicator_id: str, unit: str) -> pd.DataFrame:
    """rows: (period, value, stage, derivation, counting_basis, source_ids)."""
    return typed([{"indicator_id": indicator_id, "entity": "KOR", "period": str(period), "value": value,
                   "unit": unit, "price_basis": "nominal", "stage": stage, "derivation": derivation,
                   "counting_basis": basis, "reported_on": f"{str(period)[:4]}-12-31", "source_ids": ids,
                   "title": indicator_id.replace("_", " "), "short_unit": unit}
                  for period, value, stage, derivation, basis, ids in rows],
                 dates=("reported_on",), numbers=("value",))


def budget_frame() -> pd.DataFrame:
    return indicator_frame([
        (2022, 54.6112, "enacted", "reported", "ROK government", "joongang"),
        (2023, 57.1268, "proposal", "reported", "ROK government", "yna"),
        (2023, 57.0, "enacted", "reported", "ROK government", "nknews"),
        (2021, 52.3, "supplementary", "reported", "ROK government", "hankyung"),
        (2021, 52.8, "enacted", "reported", "ROK government", "hankyung"),
        (2024, 59.4244, "enacted", "reported", "ROK government", "news1"),
        (2024, 59.6, "enacted", "reported", "Xinhua (different scope)", "xinhua"),
        (2025, 61.25, "enacted", "derived", "ROK government", "chosun"),
        (2025, 61.59, "proposal", "reported", "ROK government", "newkerala"),
    ], "rok_defence_budget", "KRW_trillion")


def trade_frame() -> pd.DataFrame:
    return indicator_frame([
        (2014, 25.8, "reported", "reported", "ROK data (Yonhap)", "yonhap_a"),
        (2014, 27.0, "reported", "reported", "Russian data", "tass"),
        (2015, 16.0, "reported", "reported", "ROK data (Yonhap)", "yonhap_b"),
        (2016, 13.4, "reported", "reported", "ROK data (Yonhap)", "yonhap_b"),
        (2019, 22.34, "reported", "reported", "KITA", "kita"),
        (2021, 27.34, "reported", "reported", "KITA", "wowtv"),
        (2022, 21.15, "reported", "reported", "KITA", "aju"),
        (2022, 11.0, "reported", "reported", "Russian side (Ambassador)", "vazhno"),
        (2024, 2.0, "partial_year", "reported", "KITA", "partial"),
    ], "kor_rus_trade_total", "USD_billion")


def events_frame() -> pd.DataFrame:
    rows = [  # id, date, theme, type, summary, sources
        ("ev_fs23", "2023-03-13", "trilateral_trump", "exercise", "Freedom Shield 2023 begins", "yna_a"),
        ("ev_camp", "2023-08-18", "trilateral_trump", "summit", "Camp David summit", "mcst"),
        ("ev_ufs23", "2023-08-21", "trilateral_trump", "exercise", "Ulchi Freedom Shield 2023", "upi"),
        ("ev_fs24", "2024-03-04", "trilateral_trump", "exercise", "Freedom Shield 2024", "usfk"),
        ("ev_fe1", "2024-06-27", "trilateral_trump", "exercise", "Freedom Edge, first round", "einp;yna_a"),
        ("ev_treaty", "2024-06-19", "dprk_russia", "agreement_signed",
         "The DPRK and Russia sign a comprehensive strategic partnership treaty in Pyongyang", "kcna"),
        ("ev_fe3", "2025-09-15", "trilateral_trump", "exercise", "Freedom Edge, third round", "joongang"),
    ]
    return typed([{"event_id": e, "date_start": d, "date_end": None, "date_precision": "day", "theme": t,
                   "event_type": k, "actor1": "x", "summary": s, "security_effect": "neutral",
                   "confidence": "confirmed_multi", "reported_on": d, "source_ids": ids}
                  for e, d, t, k, s, ids in rows], dates=("date_start", "date_end", "reported_on"))


@pytest.fixture(scope="module")
def troops():
    return charts.estimate_ranges(claims_frame(), "dprk_troops_in_russia", "Estimates converge on 11,000–15,000",
                                  "Persons, by claimant, October 2024 to October 2025")


@pytest.fixture(scope="module")
def budget():
    return charts.budget_by_stage(budget_frame(), "The budget grew every year", "KRW trillion, 2021–2025")


@pytest.fixture(scope="module")
def trade():
    return charts.trade_series(trade_frame(), "Trade peaked in 2014 and 2021", "USD billion, 2014–2022",
                               claimed=(2014, 17.5, "Source analysis: $17.5bn", "resurgam"))


# -- source ids --------------------------------------------------------------------

def test_source_ids_of_is_ordered_unique_over_cells():
    frame = pd.DataFrame({"source_ids": pd.array(["b;a", pd.NA, "a;c", "b"], dtype="string")})
    assert charts.source_ids_of(frame) == ["b", "a", "c"]
    assert charts.source_ids_of(pd.DataFrame({"x": [1]})) == []


# -- estimate ranges -----------------------------------------------------------------

def test_estimate_ranges_keeps_one_row_per_claim_with_the_values_given(troops):
    given = claims_frame()
    given = given[given["quantity"] == "dprk_troops_in_russia"].sort_values("claim_date")
    assert list(troops.data["claim_id"]) == list(given["claim_id"])  # sorted by claim date, none merged
    for column in ("value_low", "value_best", "value_high"):
        pd.testing.assert_series_equal(troops.data[column].reset_index(drop=True),
                                       given[column].reset_index(drop=True), check_names=False)


def test_estimate_ranges_never_averages(troops):
    given = claims_frame()[["value_low", "value_best", "value_high"]].stack().dropna().unique()
    plotted = troops.data[["value_low", "value_best", "value_high"]].stack().dropna().unique()
    assert set(plotted) <= set(given)
    mean = claims_frame().query("quantity == 'dprk_troops_in_russia'")["value_best"].mean()
    assert f"{mean:,.0f}" not in troops.alt


def test_estimate_ranges_flags_the_source_analysis(troops):
    flagged = troops.data.set_index("claim_id")["source_analysis"]
    assert flagged.to_dict() == {"cl_nis_1": False, "cl_pol": False, "cl_nis_2": False, "cl_dia": False,
                                 "cl_res": True}
    assert "The source analysis (Resurgam, October 2025) gives 14,000" in troops.alt


def test_estimate_ranges_labels_rows_by_claimant_and_month(troops):
    assert list(troops.data["label"]) == ["ROK NIS, Oct 2024", "Politico, Apr 2025", "ROK NIS, Apr 2025",
                                          "ROK DIA, Jul 2025", "Resurgam, Oct 2025"]
    assert list(troops.data["kind"]) == ["point", "point", "range", "range", "point"]


def test_estimate_ranges_alt_gives_the_extremes_with_who_and_when(troops):
    assert troops.alt.startswith("Range chart of estimates of North Korean troops in Russia by claimant, "
                                 "October 2024 to October 2025: from 11,000 (Politico, April 2025) "
                                 "to 15,000 (ROK NIS, April 2025).")


def test_estimate_ranges_marks_open_ended_claims():
    chart = charts.estimate_ranges(claims_frame(), "dprk_shells", "Shells", "Rounds")
    kinds = chart.data.set_index("claim_id")["kind"].to_dict()
    assert kinds == {"cl_upto": "up_to", "cl_shells": "more_than"}
    assert "up to 6,000,000" in list(chart.data["figure"])
    assert "more than 1,000,000" in chart.alt


def test_estimate_ranges_refuses_mixed_units():
    frame = claims_frame()
    frame.loc[frame["claim_id"] == "cl_pol", "unit"] = "containers"
    with pytest.raises(ValueError, match="mix units"):
        charts.estimate_ranges(frame, "dprk_troops_in_russia", "t", "s")


# -- budget ------------------------------------------------------------------------

def test_budget_keeps_stages_apart(budget):
    got = budget.data.set_index(["stage", "year"])["value"].to_dict()
    assert got == {("enacted", 2021): 52.8, ("enacted", 2022): 54.6112, ("enacted", 2023): 57.0,
                   ("enacted", 2024): 59.4244, ("enacted", 2025): 61.25, ("proposal", 2023): 57.1268,
                   ("proposal", 2025): 61.59, ("supplementary", 2021): 52.3}
    # Dodged so that stages of one year never sit on top of each other.
    assert budget.data.groupby("year")["x"].nunique().eq(budget.data.groupby("year").size()).all()


def test_budget_draws_one_figure_per_stage_and_year_from_the_main_basis(budget):
    assert "xinhua" not in budget.source_ids
    assert not budget.data.duplicated(["stage", "year"]).any()


def test_budget_prefers_a_reported_figure_to_a_derived_one():
    frame = pd.concat([budget_frame(), indicator_frame(
        [(2025, 61.2469, "enacted", "reported", "ROK MND", "kookbang")], "rok_defence_budget", "KRW_trillion")])
    chart = charts.budget_by_stage(frame, "t", "s")
    assert chart.data.set_index(["stage", "year"]).loc[("enacted", 2025), "value"] == 61.2469


def test_budget_alt_names_the_latest_enacted_value(budget):
    assert "enacted from 52.8 (2021) to 61.25 (2025)" in budget.alt
    assert "KRW trillion (nominal)" in budget.alt


def test_budget_refuses_two_indicators():
    other = indicator_frame([(2024, 1.0, "enacted", "reported", "ROK government", "x")], "other", "KRW_trillion")
    with pytest.raises(ValueError, match="one indicator per chart"):
        charts.budget_by_stage(pd.concat([budget_frame(), other]), "t", "s")
    chart = charts.budget_by_stage(pd.concat([budget_frame(), other]), "t", "s", indicator_id="other")
    assert list(chart.data["value"]) == [1.0]


# -- trade -------------------------------------------------------------------------

def test_trade_splits_lines_by_who_counted(trade):
    reported = trade.data[trade.data["kind"] == "reported"]
    rok = reported[reported["series"] == "ROK data"].set_index("year")["value"].to_dict()
    rus = reported[reported["series"] == "Russian data"].set_index("year")["value"].to_dict()
    assert rok == {2014: 25.8, 2015: 16.0, 2016: 13.4, 2019: 22.34, 2021: 27.34, 2022: 21.15}
    assert rus == {2014: 27.0, 2022: 11.0}


def test_trade_breaks_lines_at_missing_years(trade):
    rok = trade.data[trade.data["series"] == "ROK data"].set_index("year")
    assert list(rok.index) == list(range(2014, 2023))
    assert rok.loc[[2017, 2018, 2020], "value"].isna().all()  # gaps, not interpolated
    assert (rok.loc[[2017, 2018, 2020], "kind"] == "gap").all()
    assert "No figure for 2017–2018, 2020." in trade.alt


def test_trade_leaves_out_partial_years(trade):
    assert 2024 not in set(trade.data["year"])
    assert "partial" not in trade.source_ids


def test_trade_marks_the_claimed_figure(trade):
    claimed = trade.data[trade.data["kind"] == "claimed"]
    assert claimed[["year", "value"]].values.tolist() == [[2014, 17.5]]
    assert "Source analysis: $17.5bn for 2014, against 25.8 (ROK data), 27 (Russian data)." in trade.alt
    assert trade.source_ids[-1] == "resurgam"


def test_trade_series_mapping_can_be_given():
    chart = charts.trade_series(trade_frame(), "t", "s", series=lambda basis: str(basis))
    assert "KITA" in set(chart.data["series"]) and "ROK data (Yonhap)" in set(chart.data["series"])


# -- exercise tempo ------------------------------------------------------------------

def test_exercise_tempo_counts_equal_a_hand_count():
    chart = charts.exercise_tempo(events_frame(), "Tempo held", "Exercises per half-year")
    counts = chart.data.set_index("period")["count"].to_dict()
    assert counts == {"H1 2023": 1, "H2 2023": 1, "H1 2024": 2, "H2 2024": 0, "H1 2025": 0, "H2 2025": 1}
    assert chart.data.set_index("period").loc["H1 2024", "event_ids"] == "ev_fs24;ev_fe1"
    assert "not all exercises held" in chart.alt
    assert chart.source_ids == ["yna_a", "upi", "usfk", "einp", "joongang"]


def test_exercise_tempo_by_year():
    chart = charts.exercise_tempo(events_frame(), "Tempo", "Per year", by="year")
    assert chart.data.set_index("period")["count"].to_dict() == {"2023": 2, "2024": 2, "2025": 1}


# -- timeline ------------------------------------------------------------------------

def test_timeline_plots_exactly_the_events_given():
    events = events_frame()
    chart = charts.timeline(events, "Milestones", "2023–2025", highlight="ev_treaty")
    assert sorted(chart.data["event_id"]) == sorted(events["event_id"])
    assert chart.data["date_start"].is_monotonic_increasing
    assert chart.data.set_index("event_id")["highlighted"].sum() == 1
    assert set(chart.data["lane"]) == {"trilateral_trump", "dprk_russia"}
    assert (chart.data["label"].str.len() <= 41).all()
    assert chart.data.set_index("event_id").loc["ev_treaty", "label"].endswith("…")
    assert "Timeline of 7 events, March 2023 to September 2025, in 2 lanes by theme" in chart.alt


def test_timeline_uses_a_label_column_when_present():
    events = events_frame()
    events["label"] = pd.array(["Label " + e for e in events["event_id"]], dtype="string")
    chart = charts.timeline(events, "t", "s")
    assert set(chart.data["label"]) == {"Label " + e for e in events["event_id"]}


def test_timeline_labels_in_one_lane_row_do_not_share_a_date():
    chart = charts.timeline(events_frame(), "t", "s")
    assert not chart.data.duplicated(["lane", "row", "date_start"]).any()


# -- empty frames --------------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda: charts.timeline(events_frame().iloc[:0], "t", "s", as_of=AS_OF),
    lambda: charts.estimate_ranges(claims_frame(), "dprk_deaths", "t", "s", as_of=AS_OF),
    lambda: charts.budget_by_stage(budget_frame().iloc[:0], "t", "s", as_of=AS_OF),
    lambda: charts.exercise_tempo(events_frame().query("event_type != 'exercise'"), "t", "s", as_of=AS_OF),
    lambda: charts.trade_series(trade_frame().iloc[:0], "t", "s", as_of=AS_OF),
], ids=["timeline", "estimate_ranges", "budget_by_stage", "exercise_tempo", "trade_series"])
def test_empty_frames_give_a_no_data_chart(build):
    chart = build()
    assert chart.alt.endswith("no data reported by 25 October 2025.")
    assert chart.data.empty and "source_ids" in chart.data
    assert chart.source_ids == []
    texts = [t.get_text() for ax in chart.figure.axes for t in ax.texts]
    assert "No data reported by 25 October 2025" in texts
    assert chart.png().startswith(PNG_MAGIC)


def test_empty_without_a_date_still_says_no_data():
    chart = charts.trade_series(trade_frame().iloc[:0], "t", "s")
    assert chart.alt.endswith("no data reported.")


# -- the Chart object ----------------------------------------------------------------------

def test_mimebundle_carries_png_and_alt(troops):
    data, metadata = troops._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(PNG_MAGIC)
    assert data["text/plain"] == troops.alt
    assert metadata == {"image/png": {"alt": troops.alt}}
    only_text, _ = troops._repr_mimebundle_(include={"text/plain"})
    assert set(only_text) == {"text/plain"}


def test_png_is_rendered_once_and_is_deterministic(budget):
    assert budget.png() is budget.png()
    again = charts.budget_by_stage(budget_frame(), "The budget grew every year", "KRW trillion, 2021–2025")
    assert again.png() == budget.png()
    assert b"Matplotlib" not in budget.png()  # no version stamp in the metadata


def test_source_ids_are_the_ordered_unique_ids_of_the_rows_plotted(troops, budget):
    assert troops.source_ids == ["kbs_a", "politico_a", "kbs_b", "defnews", "resurgam"]
    # The main-basis rows, by stage then year; each source once, where it is first plotted.
    assert budget.source_ids == ["hankyung", "joongang", "nknews", "news1", "chosun", "yna", "newkerala"]


def test_title_and_subtitle_are_drawn_in_the_figure(troops):
    texts = [t.get_text().replace("\n", " ") for t in troops.figure.artists]
    assert troops.title in texts and troops.subtitle in texts


def test_dollar_signs_are_text_not_math():
    chart = charts.trade_series(trade_frame(), "From $25.8bn to $21.2bn", "USD billion",
                                claimed=(2014, 17.5, "Source analysis: $17.5bn"))
    assert chart.png().startswith(PNG_MAGIC)


def test_no_figure_is_left_open_in_pyplot():
    from matplotlib._pylab_helpers import Gcf

    before = Gcf.get_num_fig_managers()
    for _ in range(3):
        charts.timeline(events_frame(), "t", "s").png()
    assert Gcf.get_num_fig_managers() == before


def test_charts_leave_global_style_and_inputs_alone():
    before = dict(mpl.rcParams)
    frame = claims_frame()
    copy = frame.copy()
    charts.estimate_ranges(frame, "dprk_troops_in_russia", "t", "s").png()
    assert dict(mpl.rcParams) == before
    pd.testing.assert_frame_equal(frame, copy)


def test_house_style_uses_the_petroff10_colours():
    with mpl.style.context(charts.STYLE):
        cycle = mpl.rcParams["axes.prop_cycle"].by_key()
    petroff = mpl.style.library["petroff10"]["axes.prop_cycle"].by_key()["color"]
    assert sorted(cycle["color"]) == sorted(petroff)
    assert len(set(zip(cycle["linestyle"], cycle["marker"]))) == len(cycle["color"])  # survives greyscale
    assert np.all([c.startswith("#") for c in cycle["color"]])
