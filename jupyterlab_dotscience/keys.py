"""API keys for remote mode: generation, salted hashing, scopes and verification (plain Python).

A key reads ``dsk_<id>_<secret>``. The ``id`` (12 hex digits) is public and names the store
row, so verifying a key reads one row; only ``scrypt(secret, per-key salt)`` is stored and
compared in constant time. The secret is shown once, when the key is created.

scrypt costs ~16 MiB and tens of milliseconds, so an unauthenticated caller must not be able
to make the server run it at will: :class:`Verifier` runs it on its own small thread pool
(never the one every store call shares), remembers recent successes for a short time, and
answers :class:`Throttled` (HTTP 429) without hashing once a key id has seen too many wrong
secrets, or too many checks are already under way.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

PREFIX = "dsk_"
_KEY_RE = re.compile(r"dsk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,200})\Z")
#: scrypt cost: ~16 MiB and tens of milliseconds per hash; verified keys are cached.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}

#: The privilege to build and deploy models (published runs with ``build``/``deploy``).
SCOPE_DEPLOY = "deploy"
#: Every scope a key can be created with; a key has none unless asked for.
SCOPES = frozenset({SCOPE_DEPLOY})


class InvalidKey(ValueError):
    """An API key was refused; the message is one sentence a user can act on."""


class Throttled(Exception):
    """Too many wrong secrets for a key id (or checks under way): refused without hashing.

    ``retry_after`` is the number of seconds after which trying again can succeed.
    """

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def check_scopes(scopes) -> list[str]:
    """The sorted, distinct scopes of a key, or ValueError with a sentence.

    Parameters
    ----------
    scopes
        None (no scopes) or a list of scope names, each one of :data:`SCOPES`.
    """
    if scopes is None:
        return []
    if not isinstance(scopes, list | tuple) or not all(isinstance(x, str) for x in scopes):
        raise ValueError('scopes must be a list of scope names, e.g. ["deploy"].')
    unknown = sorted(set(scopes) - SCOPES)
    if unknown:
        raise ValueError(
            f"Unknown scope(s): {', '.join(repr(u[:40]) for u in unknown[:5])}; "
            f"known: {', '.join(sorted(SCOPES))}."
        )
    return sorted(set(scopes))


def looks_like_key(text: str | None) -> bool:
    """Whether ``text`` has the shape of an API key (``dsk_...``)."""
    return isinstance(text, str) and text.startswith(PREFIX)


def parse(key: str) -> tuple[str, str]:
    """``(id, secret)`` of a key; :class:`InvalidKey` when it is not shaped like one."""
    m = _KEY_RE.match(key.strip()) if isinstance(key, str) else None
    if not m:
        raise InvalidKey("The API key is malformed; it should look like dsk_<id>_<secret>.")
    return m.group(1), m.group(2)


def hash_secret(secret: str, salt: bytes) -> str:
    """The hex scrypt hash of ``secret`` with ``salt``."""
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT).hex()


def new_key(
    username: str, name: str | None = None, project: str | None = None, scopes=None
) -> tuple[str, dict]:
    """A new key: ``(full_key, row)`` where ``row`` is what the store keeps (no secret).

    Parameters
    ----------
    username
        The user the key acts as.
    name
        What the key is for (shown in listings).
    project
        The one project the key may publish to and read, or None for any.
    scopes
        Extra privileges (see :data:`SCOPES`); none by default.
    """
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    row = {
        "id": key_id,
        "username": username,
        "name": name,
        "project": project,
        "scopes": check_scopes(scopes),
        "salt": salt.hex(),
        "hash": hash_secret(secret, salt),
    }
    return f"{PREFIX}{key_id}_{secret}", row


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class Verifier:
    """Checks presented keys against store rows, cheaply for the server.

    - A key verified recently is remembered for ``ttl`` seconds by the SHA-256 of the whole
      presented key (and the stored hash), so its later requests skip scrypt. The row is
      still read and checked every time, so a revocation (by any server sharing the store)
      takes effect at once; :meth:`forget` also drops the key's cache entries.
    - scrypt runs on this verifier's own ``workers`` threads, so checks never queue ahead of
      store calls.
    - After ``max_failures`` wrong secrets for one key id within ``window`` seconds, or with
      ``per_key`` checks of that id (``max_pending`` in all) already under way, a request
      that is not in the cache is refused with :class:`Throttled` without hashing.
      Concurrent requests presenting the same key share one check.
    """

    def __init__(
        self,
        max_cached: int = 1024,
        ttl: float = 60.0,
        max_failures: int = 10,
        window: float = 60.0,
        workers: int = 2,
        per_key: int = 2,
        max_pending: int = 16,
    ):
        self._ok: dict[bytes, tuple[str, str, float]] = {}  # digest -> (id, hash, expires)
        self._failures: dict[str, collections.deque] = {}
        self._pending: collections.Counter = collections.Counter()
        self._lock = threading.Lock()
        self._max, self._ttl = max_cached, ttl
        self._max_failures, self._window = max_failures, window
        self._per_key, self._max_pending = per_key, max_pending
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None
        # checks under way on the event loop, by presented key: concurrent requests with the
        # same key wait for one check instead of each hashing (or being throttled)
        self._running: dict[bytes, asyncio.Future] = {}

    # -- cache and throttle ---------------------------------------------------------------

    def _cached(self, digest: bytes, key_id: str, stored_hash: str) -> bool:
        with self._lock:
            entry = self._ok.get(digest)
            if entry is None:
                return False
            if entry[2] < time.monotonic():
                del self._ok[digest]
                return False
        return entry[0] == key_id and hmac.compare_digest(entry[1], stored_hash)

    def _remember(self, digest: bytes, key_id: str, stored_hash: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._ok) >= self._max:
                self._ok = {d: e for d, e in self._ok.items() if e[2] >= now}
                if len(self._ok) >= self._max:
                    self._ok.clear()
            self._ok[digest] = (key_id, stored_hash, now + self._ttl)
            self._failures.pop(key_id, None)

    def _admit(self, key_id: str) -> None:
        """Count a check of ``key_id`` as under way, or raise :class:`Throttled`."""
        now = time.monotonic()
        with self._lock:
            failures = self._failures.get(key_id)
            while failures and failures[0] < now - self._window:
                failures.popleft()
            if failures is not None and not failures:
                del self._failures[key_id]
            if failures and len(failures) >= self._max_failures:
                wait = max(1, int(failures[0] + self._window - now) + 1)
                raise Throttled(
                    f"Too many wrong secrets for API key dsk_{key_id}_… in the last "
                    f"{int(self._window)} s; try again in {wait} s.",
                    wait,
                )
            if self._pending[key_id] >= self._per_key or (
                sum(self._pending.values()) >= self._max_pending
            ):
                raise Throttled(
                    f"Too many checks of API key dsk_{key_id}_… are under way; "
                    "try again in a second.",
                    1,
                )
            self._pending[key_id] += 1

    def _done(self, key_id: str, ok: bool) -> None:
        with self._lock:
            self._pending[key_id] -= 1
            if self._pending[key_id] <= 0:
                del self._pending[key_id]
            if not ok:
                self._failures.setdefault(key_id, collections.deque()).append(time.monotonic())

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self._workers, thread_name_prefix="dotscience-keys"
                )
            return self._executor

    # -- verification ---------------------------------------------------------------------

    @staticmethod
    def _known(key: str, row: dict | None) -> tuple[str, str]:
        key_id, secret = parse(key)
        if row is None or row.get("id") != key_id:
            raise InvalidKey(f"The API key dsk_{key_id}_… is not known to this server.")
        return key_id, secret

    @staticmethod
    def _matches(secret: str, row: dict) -> bool:
        computed = hash_secret(secret, bytes.fromhex(row["salt"]))
        return hmac.compare_digest(computed, row["hash"])

    @staticmethod
    def _allowed(key_id: str, row: dict, username: str | None) -> dict:
        if row.get("revoked"):
            raise InvalidKey(f"The API key dsk_{key_id}_… was revoked on {row['revoked']}.")
        if username is not None and username != row["username"]:
            raise InvalidKey(
                f"The API key dsk_{key_id}_… does not belong to user {username!r}; "
                "use the username the key was created for."
            )
        return row

    async def averify(self, key: str, row: dict | None, username: str | None = None) -> dict:
        """The row when ``key`` is valid for it (and belongs to ``username`` if given);
        scrypt, when needed, runs on the verifier's own threads.

        Raises
        ------
        InvalidKey
            With a sentence saying why: unknown, revoked, wrong secret or another user's key.
        Throttled
            When the key id has seen too many wrong secrets, or too many checks are under way.
        """
        key_id, secret = self._known(key, row)
        digest = _digest(key)
        if not self._cached(digest, key_id, row["hash"]):
            running = self._running.get(digest)
            if running is not None:  # the same key is being checked: share that answer
                ok = await asyncio.shield(running)
            else:
                self._admit(key_id)
                ok = False
                running = asyncio.get_running_loop().run_in_executor(
                    self._pool(), self._matches, secret, row
                )
                self._running[digest] = running
                try:
                    ok = await running
                finally:
                    self._running.pop(digest, None)
                    self._done(key_id, ok)
            if not ok:
                raise InvalidKey(f"The API key dsk_{key_id}_… is not valid (wrong secret).")
            self._remember(digest, key_id, row["hash"])
        return self._allowed(key_id, row, username)

    def verify(self, key: str, row: dict | None, username: str | None = None) -> dict:
        """:meth:`averify` in the calling thread (for scripts and tests).

        Raises
        ------
        InvalidKey, Throttled
            As :meth:`averify`.
        """
        key_id, secret = self._known(key, row)
        digest = _digest(key)
        if not self._cached(digest, key_id, row["hash"]):
            self._admit(key_id)
            ok = False
            try:
                ok = self._matches(secret, row)
            finally:
                self._done(key_id, ok)
            if not ok:
                raise InvalidKey(f"The API key dsk_{key_id}_… is not valid (wrong secret).")
            self._remember(digest, key_id, row["hash"])
        return self._allowed(key_id, row, username)

    def forget(self, key_id: str) -> None:
        """Drop every cached verification of ``key_id`` (after revoking the key)."""
        with self._lock:
            self._ok = {d: e for d, e in self._ok.items() if e[0] != key_id}


#: The process-wide verifier the REST handlers use.
VERIFIER = Verifier()
