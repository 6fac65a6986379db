"""One module per figure; importing this package registers them all (see registry.py)."""

from . import (  # noqa: F401
    category_attribution,
    change_waterfall,
    date_lags,
    gain_vs_churn,
    gain_vs_lines,
    record_series,
    residuals,
    retimed_gains,
    stars_history,
    time_vs_effort,
    training_loc_history,
)
from .registry import FIGURES

__all__ = ["FIGURES"]
