"""gunicorn's settings file, read from the folder gunicorn starts in (the project's root).

Only what prometheus_client's multiprocess mode needs (docs/operations.md, "Metrics and logs"):
with /metrics on (SHIFAN_METRICS_TOKEN or SHIFAN_METRICS_ALLOWED_ADDRESSES set), every worker
process writes its request counts to files in PROMETHEUS_MULTIPROC_DIR (default
`<SHIFAN_VAR_DIR>/prometheus`), and the process that answers a scrape adds up all of them. The
folder's files are removed when gunicorn starts, so that counts of an earlier run, and of
processes that no longer exist, are not added again; a worker that exits is marked dead so its
files stop counting as live. Without /metrics on, nothing here does anything.
"""

import os
from pathlib import Path

_METRICS = bool(os.environ.get("SHIFAN_METRICS_TOKEN") or os.environ.get("SHIFAN_METRICS_ALLOWED_ADDRESSES"))
if _METRICS and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _var = Path(os.environ.get("SHIFAN_VAR_DIR") or Path(__file__).resolve().parent / "var")
    # Set before the workers import prometheus_client: they inherit the master's environment.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_var / "prometheus")


def on_starting(server: object) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    # Only prometheus_client's own files: the folder may have been pointed somewhere shared.
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server: object, worker: object) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
