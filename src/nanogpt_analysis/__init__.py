"""nanogpt-analysis: algorithmic progress of the NanoGPT speedrun versus the effort spent on it."""

from functools import cache


@cache
def tool_version() -> str:
    """The installed package's version. Looked up on first use, not at import: importlib.metadata costs
    ~40 ms, paid by every command otherwise."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanogpt-analysis")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":  # `from nanogpt_analysis import __version__` still works, lazily
        return tool_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    import sys

    # the job starts a fresh interpreter each run: bytecode of the modules it imports, written on the first
    # run, saves seconds of import time on every later one, even where PYTHONDONTWRITEBYTECODE is set
    sys.dont_write_bytecode = False
    # one BLAS thread per process: the job spreads its work over the cores in processes (workers.py), and
    # OpenBLAS threads on top of them oversubscribe the cores and spin (a sieve bootstrap's AR fits took 18x
    # the CPU time on a busy 2-core machine). Set before numpy loads; a value the user set is kept
    import os

    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from .cli import main as cli_main

        code = cli_main()
    except KeyboardInterrupt:  # Ctrl-C before the CLI's own handler is in place: nothing has been touched yet
        import sys

        print("interrupted; nothing was changed", file=sys.stderr)
        raise SystemExit(130) from None
    raise SystemExit(code)
