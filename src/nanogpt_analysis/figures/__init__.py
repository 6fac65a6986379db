"""One module per figure; importing this package registers them all (see registry.py)."""

from . import (  # noqa: F401
    date_lags,
    record_series,
    residuals,
    stars_history,
    time_vs_effort,
    training_loc_history,
)
from .registry import FIGURES

__all__ = ["FIGURES"]
