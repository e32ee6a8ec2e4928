"""The garbage collector of a serving process, set once its app is built (``wsgi.py``, the benchmarks).

A request allocates thousands of short-lived containers (a workflow's deserialisation alone makes several
thousand), so under CPython's default young-generation threshold (700) a completion ran a dozen young
collections, and every few hundred requests a full one walked everything the process holds (the app,
SQLAlchemy's metadata and compiled statements, parsed diagrams, templates): about 130 ms of CPU in the one
unlucky request, 14 % of the benchmark's CPU in all (bench/README.md). Freezing what exists once the app is
built takes it out of every later collection, and a higher threshold lets most requests end between two
young collections. Reference counting still frees acyclic garbage at once; cyclic garbage waits at most one
threshold's worth of allocations, a few MB.
"""
import gc


def tune(threshold: int) -> None:
    """Freeze the objects that exist now and collect the young generation every ``threshold`` allocations
    (``GC_THRESHOLD``; 0 keeps CPython's defaults). Call once per process after the app is created."""
    if threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(threshold, middle, old)
