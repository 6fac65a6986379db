"""One colour per track and one per model, used by every figure (a reader learns them once), and the plain
words for each response on an axis. Colours are matplotlib's tab10 hues, chosen so no track shares a hue
with a model."""

from __future__ import annotations

TRACK_COLOURS = {1: "#1f77b4", 2: "#ff7f0e", 3: "#17becf"}  # blue, orange, cyan
MODEL_COLOURS = {
    "exponential": "#d62728",  # red
    "power_x0_1": "#2ca02c",  # green
    "power_x0_fit": "#9467bd",  # purple
    "trailing_drift": "#7f7f7f",  # grey
    "last_segment": "#8c564b",  # brown
    "no_change": "#000000",
}
MODEL_LINES = {"exponential": "-", "power_x0_1": ":", "power_x0_fit": "--"}
# a track's other series (normalised times, re-timings) keep the track's colour and change the marker
RETIMING = "#000000"

RESPONSE_WORDS = {
    "time_s": ("record time", "s"),
    "time_norm_s": ("record time in today's timing rules", "s"),
    "time_norm_overhead_s": ("record time, rule change added as overhead", "s"),
    "time_norm_nosw_s": ("record time without software upgrades", "s"),
    "steps": ("optimizer steps to the target", "steps"),
}


def track_colour(track: int) -> str:
    return TRACK_COLOURS[int(track)]


def response_axis(response: str, scale: str = "log scale") -> str:
    """An axis label in words with the unit: "record time, s (log scale)"."""
    words, unit = RESPONSE_WORDS.get(response, (response, ""))
    unit_part = f", {unit}" if unit and unit != "steps" else ""
    return f"{words}{unit_part}" + (f" ({scale})" if scale else "")


def response_words(response: str) -> str:
    return RESPONSE_WORDS.get(response, (response, ""))[0]
