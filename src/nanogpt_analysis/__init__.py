"""nanogpt-analysis: algorithmic progress of the NanoGPT speedrun versus the effort spent on it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nanogpt-analysis")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


def main() -> None:
    from .cli import main as cli_main

    raise SystemExit(cli_main())
