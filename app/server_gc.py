"""The garbage collector of a serving process, set once its app is built (``wsgi.py``, the benchmarks).

Every few hundred requests CPython's collector walks everything the process holds in its oldest generation:
the app, SQLAlchemy's metadata and compiled statements, templates, the modules themselves. In the benchmark
process that was about 130 ms of CPU in the one unlucky request and about 10 % of all its CPU (bench/README.md).
Freezing what exists once the app is built takes those objects out of every later collection; they live as long
as the process anyway. The young generations keep CPython's thresholds: raising the first one to 20,000 saved
a little more CPU but let a worker's memory grow without bound (415 MiB after 10,000 completions in
bench/memory.py, against 142 MiB).
"""
import gc


def freeze_startup_objects(enabled: bool) -> None:
    """Move every object that exists now out of the collector's reach (``GC_FREEZE``; off: nothing changes).
    Call once per process, after the app is created."""
    if not enabled:
        return
    gc.collect()
    gc.freeze()
