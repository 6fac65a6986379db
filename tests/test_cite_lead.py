"""The numbers to cite lead with one short list per track; every other row of headline.csv stays one click away."""

from nanogpt_analysis.report.cite import CiteRow, fmt_value, lead_rows


def _row(track: int, estimand: str, response: str) -> CiteRow:
    return CiteRow(track, estimand, response, "", "", "", "", "", "", "", estimand=estimand)


def test_lead_rows_keep_each_tracks_own_response_and_the_lead_estimands_in_order() -> None:
    rows = [
        _row(1, "whole_history", "time_s"),
        _row(1, "current_regime_rate", "time_norm_s"),  # normalised times: not in the lead
        _row(1, "current_regime_ols_points", "time_s"),  # estimator range: not in the lead
        _row(1, "current_regime_rate", "time_s"),
        _row(3, "current_regime_rate", "steps"),
        _row(3, "current_regime_rate", "time_s"),  # not track 3's response
    ]
    lead, rest = lead_rows(rows)
    assert [(r.track, r.estimand, r.response) for r in lead] == [
        (1, "current_regime_rate", "time_s"),
        (1, "whole_history", "time_s"),
        (3, "current_regime_rate", "steps"),
    ]
    assert len(lead) + len(rest) == len(rows)
    # the metrics.yaml fallback has no estimand keys: every row leads
    plain = [CiteRow(1, "x", "time_s", "", "", "", "", "", "", "")]
    assert lead_rows(plain) == (plain, [])


def test_days_after_the_snapshot_read_as_words() -> None:
    assert fmt_value(107.4, "days_after_snapshot") == "107 days after the snapshot"
