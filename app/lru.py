"""A bounded map that forgets the least recently used entry: every per-worker cache (parsed diagrams, loaded
workflows, verified session cookies, signed CSRF tokens).

A worker process lives for days; a cache keyed by what users or designers create (a draft diagram
validated in the modeler, an instance's version) must not grow with them. Thread-safe: a threaded
server shares one worker's caches between requests.
"""
import threading
from collections import OrderedDict


class LRU:
    """At most ``size`` entries; reading an entry makes it the most recent."""

    def __init__(self, size: int):
        self.size = max(1, int(size))
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        """The value stored under ``key`` (now the most recent), or ``default``."""
        with self._lock:
            try:
                self._items.move_to_end(key)
            except KeyError:
                return default
            return self._items[key]

    def pop(self, key, default=None):
        """Remove and return the value under ``key``, or ``default``."""
        with self._lock:
            return self._items.pop(key, default)

    def put(self, key, value) -> None:
        """Store ``value`` as the most recent entry, dropping the oldest beyond ``size``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def resize(self, size: int) -> None:
        """Change the bound (dropping the oldest entries if needed)."""
        with self._lock:
            self.size = max(1, int(size))
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
