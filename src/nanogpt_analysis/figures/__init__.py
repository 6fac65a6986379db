"""One module per figure; importing this package registers them all (see registry.py)."""

from . import (  # noqa: F401
    category_attribution,
    change_waterfall,
    date_lags,
    gain_vs_churn,
    gain_vs_lines,
    residuals,
    retimed_gains,
    speedup_over_date,
    stars_history,
    time_vs_effort,
    training_loc_history,
)
from .registry import FIGURES

__all__ = ["FIGURES"]
