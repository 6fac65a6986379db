"""One module per figure; importing this package registers them all (see registry.py)."""

from . import (  # noqa: F401
    date_lags,
    fan_chart,
    forecast_skill,
    record_series,
    regimes,
    residuals,
    rolling_rate,
    stars_history,
    time_vs_effort,
    training_loc_history,
)
from .registry import FIGURES

__all__ = ["FIGURES"]
