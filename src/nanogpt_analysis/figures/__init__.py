"""One module per figure; importing this package registers them all (see registry.py)."""

from . import (  # noqa: F401
    attempts_monthly,
    category_attribution,
    change_waterfall,
    compute_decomposition,
    compute_over_date,
    compute_throughput,
    date_lags,
    fan_chart,
    forecast_skill,
    gain_vs_churn,
    gain_vs_lines,
    record_series,
    regimes,
    research_productivity,
    researchers_monthly,
    residuals,
    retimed_gains,
    rolling_rate,
    stars_history,
    success_rate,
    time_vs_effort,
    training_loc_history,
)
from .registry import FIGURES

__all__ = ["FIGURES"]
