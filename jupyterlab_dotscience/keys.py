"""API keys for remote mode: generation, salted hashing and verification (plain Python).

A key reads ``dsk_<id>_<secret>``. The ``id`` (12 hex digits) is public and names the store
row, so verifying a key reads one row; only ``scrypt(secret, per-key salt)`` is stored and
compared in constant time. The secret is shown once, when the key is created.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading

PREFIX = "dsk_"
_KEY_RE = re.compile(r"dsk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,200})\Z")
#: scrypt cost: ~16 MiB and tens of milliseconds per hash; verified keys are cached.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}


class InvalidKey(ValueError):
    """An API key was refused; the message is one sentence a user can act on."""


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


def new_key(username: str, name: str | None = None, project: str | None = None):
    """A new key: ``(full_key, row)`` where ``row`` is what the store keeps (no secret)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    row = {
        "id": key_id,
        "username": username,
        "name": name,
        "project": project,
        "salt": salt.hex(),
        "hash": hash_secret(secret, salt),
    }
    return f"{PREFIX}{key_id}_{secret}", row


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class Verifier:
    """Checks presented keys against store rows.

    A key verified once is remembered (its SHA-256 and the stored hash), so later requests
    skip scrypt; the row is still read every time, so a revocation seen by any server
    sharing the store takes effect at once.
    """

    def __init__(self, max_cached: int = 1024):
        self._ok: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        self._max = max_cached

    def verify(self, key: str, row: dict | None, username: str | None = None) -> dict:
        """The row when ``key`` is valid for it (and belongs to ``username`` if given).

        Raises
        ------
        InvalidKey
            With a sentence saying why: unknown, revoked, wrong secret or another user's key.
        """
        key_id, secret = parse(key)
        if row is None or row.get("id") != key_id:
            raise InvalidKey(f"The API key dsk_{key_id}_… is not known to this server.")
        digest = _digest(key)
        with self._lock:
            cached = self._ok.get(key_id)
        fresh = cached is not None and hmac.compare_digest(cached[0], digest)
        if not (fresh and hmac.compare_digest(cached[1], row["hash"])):
            computed = hash_secret(secret, bytes.fromhex(row["salt"]))
            if not hmac.compare_digest(computed, row["hash"]):
                raise InvalidKey(f"The API key dsk_{key_id}_… is not valid (wrong secret).")
            with self._lock:
                if len(self._ok) >= self._max:
                    self._ok.clear()
                self._ok[key_id] = (digest, row["hash"])
        if row.get("revoked"):
            raise InvalidKey(f"The API key dsk_{key_id}_… was revoked on {row['revoked']}.")
        if username is not None and username != row["username"]:
            raise InvalidKey(
                f"The API key dsk_{key_id}_… does not belong to user {username!r}; "
                "use the username the key was created for."
            )
        return row

    def forget(self, key_id: str) -> None:
        """Drop a cached verification (after revoking the key)."""
        with self._lock:
            self._ok.pop(key_id, None)


#: The process-wide verifier the REST handlers use.
VERIFIER = Verifier()
