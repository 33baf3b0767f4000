"""Keep the rendered body of the busiest read-only pages until the data they show changes.

The facility dashboard, the overview and the public facility profile are read far more often
than the data behind them changes — most of all when a story breaks and many people open the
same facility at once. Their body (everything inside the page frame) is kept in this worker's
memory under a key made of the page, its arguments, the reader's view of the data, the language,
the day, and the *data version*: a counter the database itself moves on at every write to a table
those pages read (migration 0003, :mod:`monitor.db.models.state`). A write by anyone — the web,
the command line, an import — therefore makes every kept body stale at the next request; the
cache is then emptied at once rather than left to age out.

The page frame (navigation, language switch with its CSRF token, flash messages) is rendered
for each request and never kept, so nothing of one person's session reaches another's page.
Sizes are bounded (``MONITOR_PAGE_CACHE_MB``, 0 turns the cache off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

from flask import current_app, g, request
from flask_babel import get_locale
from markupsafe import Markup, escape

from monitor.core.clock import today
from monitor.db.models.state import data_version
from monitor.web.db import get_session

EXTENSION = "monitor.pagecache"


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    resets: int = 0


class PageCache:
    """A byte-bounded LRU of rendered page bodies, all of one data version."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.stats = CacheStats()
        self._entries: OrderedDict[Hashable, dict[str, Markup]] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._bytes = 0
        self._version: int | None = None
        self._lock = threading.Lock()
        #: One gate per body being built: the other threads wanting it wait for it.
        self._building: dict[tuple[int, Hashable], threading.Lock] = {}

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, version: int, key: Hashable) -> dict[str, Markup] | None:
        with self._lock:
            self._follow(version)
            blocks = self._entries.get(key)
            if blocks is None:
                self.stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return blocks

    def get_or_build(self, version: int, key: Hashable,
                     build: Callable[[], dict[str, Markup]]) -> dict[str, Markup]:
        """The kept body, or one built by a single thread while the others wanting it wait.

        After a write, every thread of a worker misses at once; without the gate each would
        build the same overview or map at the same time, multiplying the worker's memory and
        CPU by its threads for a body only one of them needs to build.
        """
        blocks = self.get(version, key)
        if blocks is not None:
            return blocks
        with self._lock:
            gate = self._building.setdefault((version, key), threading.Lock())
        try:
            with gate:
                blocks = self._peek(version, key)  # built by the thread that held the gate?
                if blocks is None:
                    blocks = build()
                    self.put(version, key, blocks)
        finally:
            with self._lock:
                if self._building.get((version, key)) is gate:
                    del self._building[(version, key)]
        return blocks

    def _peek(self, version: int, key: Hashable) -> dict[str, Markup] | None:
        with self._lock:
            return self._entries.get(key) if self._version == version else None

    def put(self, version: int, key: Hashable, blocks: dict[str, Markup]) -> None:
        size = sum(len(text) for text in blocks.values())
        if size > self.max_bytes // 4:  # one page may not push out everything else
            return
        with self._lock:
            if self._version != version:  # the data moved on while this body was built
                return
            if key in self._entries:
                self._bytes -= self._sizes.pop(key)
                del self._entries[key]
            self._entries[key] = blocks
            self._sizes[key] = size
            self._bytes += size
            while self._bytes > self.max_bytes:
                old, _ = self._entries.popitem(last=False)
                self._bytes -= self._sizes.pop(old)

    def _follow(self, version: int) -> None:
        # Any other version empties the cache: newer after a write, older after a restore from
        # a backup. Two requests racing a write may empty it once more than needed; a body
        # built under one version is only ever stored while that version is current.
        if version != self._version:
            if self._entries:
                self.stats.resets += 1
            self._entries.clear()
            self._sizes.clear()
            self._bytes = 0
            self._version = version


def install(app, megabytes: int) -> None:
    app.extensions[EXTENSION] = PageCache(megabytes * 1024 * 1024)


def viewer_key() -> Hashable:
    """What decides which visits the signed-in reader sees (and may open) on a dashboard."""
    user = g.get("user")
    if user is None:
        return None
    return (user.id, user.role.value, user.organisation_id)


def cached(key: Hashable, build: Callable[[], Mapping[str, str]]) -> dict[str, Markup]:
    """Return the page body blocks for *key*, building them with *build* when not kept.

    :param key: the page and everything its body depends on besides the data version, the
        language, the host and the day (those are added here).
    :param build: renders the blocks from the database: ``"title"`` as plain text, the others
        (``"content"``) as HTML.
    """
    cache: PageCache | None = current_app.extensions.get(EXTENSION)
    if cache is None or not cache.enabled:
        return _markup(build())
    # The version is read before the data: a body built from newer data than its key says is
    # merely replaced at the next request; the reverse could keep stale data.
    version = data_version(get_session())
    full_key = (key, str(get_locale()), request.host_url, today())
    return cache.get_or_build(version, full_key, lambda: _markup(build()))


def _markup(blocks: Mapping[str, str]) -> dict[str, Markup]:
    # "title" is plain text (it goes into <title> and may hold any name); the others are HTML
    # already escaped by the template that rendered them.
    return {name: escape(text) if name == "title" else Markup(text) for name, text in blocks.items()}
