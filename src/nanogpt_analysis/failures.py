"""One line for every failure: the top-level handler's map from an exception to a message and an exit code.

Expected faults (a `UserError`, a bad file, a full disk, a read-only folder, input too deep or too large,
Ctrl-C) become one line saying what failed, what to do, and whether the outputs are the old or the new ones;
anything else is a bug and also one line, pointing to `--debug` for the traceback."""

from __future__ import annotations

import errno
import signal
import sys

from .errors import UserError

INTERRUPTED = 130  # 128 + SIGINT, the shell's code for Ctrl-C
TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so clean-up runs as for Ctrl-C."""


def _on_sigterm(signum, frame):  # noqa: ANN001
    raise Terminated()


def install_signal_handlers() -> None:
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _on_sigterm)


def _outputs() -> str:
    from .store.staging import STATE

    state = STATE.get("outputs")
    if state == "old":
        return "outputs were left as they were"
    if state == "new":
        return "the new outputs are in place"
    return "nothing was changed"


def _real_path(name: object) -> str:
    """A path in the staging copy named as the project file it stands for."""
    from .store.staging import STATE

    text = str(name or "")
    stage = STATE.get("stage")
    if stage and text.startswith(stage):
        text = STATE.get("root", ".") + text[len(stage) :]
    return text


def _os_error(exc: OSError) -> str:
    where = _real_path(exc.filename)
    if isinstance(exc, NotADirectoryError) or exc.errno == errno.ENOTDIR:
        return f"{where}: a file is where a folder is expected; move it away and run again"
    if isinstance(exc, FileExistsError):
        return f"{where}: a file is in the way of a folder or file the run makes; move it away and run again"
    if isinstance(exc, IsADirectoryError):
        return f"{where}: a folder is where a file is expected; move it away and run again"
    if isinstance(exc, FileNotFoundError):
        return f"{where}: no such file or folder; check the path (or --root) and run again"
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return f"no space left on the device writing {where or 'an output'}; free some space and run again"
    if exc.errno == errno.EROFS:
        return f"{where or 'an output folder'} is on a read-only file system; run where outputs can be written"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied: {where}; fix its permissions and run again"
    if exc.errno == errno.EFBIG:
        return f"file too large writing {where} (a file-size limit is set); raise the limit and run again"
    return f"{where + ': ' if where else ''}{exc.strerror or exc}; fix it and run again"


def describe(exc: BaseException) -> tuple[str, int]:
    """(one-line message, exit code) for an exception that reached the top level."""
    import csv
    import json

    if isinstance(exc, UserError):
        return f"error: {exc}", 2
    if isinstance(exc, KeyboardInterrupt):
        custom = getattr(exc, "message", None)
        if custom:  # refresh's own line on what data/ holds; a SIGTERM it caught keeps its word and code
            if isinstance(exc.__context__, Terminated):
                return "terminated" + custom.removeprefix("interrupted"), TERMINATED
            return custom, INTERRUPTED
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        code = TERMINATED if isinstance(exc, Terminated) else INTERRUPTED
        return f"{what}; {_outputs()}", code
    if isinstance(exc, OSError):
        return f"error: {_os_error(exc)} ({_outputs()})", 2
    if isinstance(exc, RecursionError):
        return f"error: input nested too deeply to read (a corrupt or hostile file?); {_outputs()}", 2
    if isinstance(exc, OverflowError):
        return f"error: a number in the input is too large ({exc}); {_outputs()}", 2
    if isinstance(exc, MemoryError):
        return f"error: out of memory (an input far larger than expected?); {_outputs()}", 2
    if isinstance(exc, UnicodeDecodeError):
        return f"error: input is not UTF-8 text ({exc.reason} at byte {exc.start}); {_outputs()}", 2
    if isinstance(exc, json.JSONDecodeError | csv.Error) or type(exc).__module__.startswith(("yaml", "pandas.errors")):
        return f"error: cannot parse an input ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}); {_outputs()}", 2
    first = str(exc).splitlines()[0][:200] if str(exc) else ""
    return (
        f"internal error: {type(exc).__name__}: {first} ({_outputs()}); run again with --debug for the traceback "
        "and report it",
        1,
    )


def report(exc: BaseException, debug: bool) -> int:
    """Print the one line (and, with --debug, the traceback first) on stderr; the exit code."""
    msg, code = describe(exc)
    try:
        if debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        print(msg, file=sys.stderr)
    except (BrokenPipeError, OSError):
        pass
    return code
