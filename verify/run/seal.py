"""Sealed cache files: a verdict is replayed only when this machine's key sealed it.

Cache keys are public content hashes, so anyone who can write to a cache directory (a shared
CI cache, a pull request's job) could otherwise plant a ``proved`` verdict for a false claim.
Every cache file therefore starts with a header line carrying an HMAC-SHA256 of its kind, its
name and its body under a secret key that never enters the cache directory:

- ``$VERIFY_CACHE_KEY`` (any text, e.g. a CI secret that untrusted jobs cannot read), else
- a random key stored in ``$VERIFY_CACHE_KEY_FILE`` (default:
  ``$XDG_CONFIG_HOME/verify/cache-key``, i.e. ``~/.config/verify/cache-key``), created with
  permissions 0600 on first use;
- if neither can be had, a key for this process only (nothing is reused by later runs).

A file whose seal does not verify is treated as absent: it was altered, corrupted, or written
with another key (another machine, another CI job). The header also names the key by a short
public id, so that "written with another key" can be told apart from "altered".
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

ENV_KEY = "VERIFY_CACHE_KEY"
ENV_KEY_FILE = "VERIFY_CACHE_KEY_FILE"
MAGIC = b"verify-seal-1"
#: the warning for files sealed with another key: one text for all of them, so it is reported once
FOREIGN = (
    "cache entries sealed with another key (another machine or CI job) were ignored and checked again; "
    f"to share a cache between jobs, give them the same secret in ${ENV_KEY}"
)

_KEY: bytes | None = None
_KEY_NOTE: str | None = None


class SealError(ValueError):
    """A cache file whose seal does not verify; ``foreign`` when another key sealed it."""

    def __init__(self, message: str, foreign: bool = False):
        super().__init__(message)
        self.foreign = foreign


def key_file() -> Path:
    """Where the machine's key is kept (outside any cache directory)."""
    explicit = os.environ.get(ENV_KEY_FILE)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base, "verify", "cache-key")


def _load_key() -> tuple[bytes, str | None]:
    secret = os.environ.get(ENV_KEY)
    if secret:
        return hashlib.sha256(b"verify-cache-key\x00" + secret.encode("utf-8", "surrogatepass")).digest(), None
    path = key_file()
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data[:64], None
    except FileNotFoundError:
        pass
    except OSError as exc:
        return secrets.token_bytes(
            32
        ), f"cannot read the cache key {path} ({exc.strerror}); verdicts of this run are not reused later"
    new = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(new)
        return new, None
    except FileExistsError:  # another process created it first: use theirs
        data = path.read_bytes()
        if len(data) >= 32:
            return data[:64], None
        return new, f"the cache key {path} is too short; verdicts of this run are not reused later"
    except OSError as exc:
        return new, f"cannot store a cache key at {path} ({exc.strerror}); verdicts of this run are not reused later"


def machine_key() -> bytes:
    """The secret key of this machine (or of ``$VERIFY_CACHE_KEY``), loaded once per process."""
    global _KEY, _KEY_NOTE
    if _KEY is None:
        _KEY, _KEY_NOTE = _load_key()
    return _KEY


def key_note() -> str | None:
    """A warning about the key (it could not be stored or read), or None."""
    machine_key()
    return _KEY_NOTE


def reset() -> None:
    """Forget the loaded key (for tests that change the environment)."""
    global _KEY, _KEY_NOTE
    _KEY, _KEY_NOTE = None, None


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"verify-key-id\x00" + key).hexdigest()[:16].encode()


def _mac(key: bytes, kind: str, name: str, body: bytes) -> bytes:
    message = kind.encode() + b"\x00" + name.encode() + b"\x00" + body
    return hmac.new(key, message, hashlib.sha256).hexdigest().encode()


def seal(kind: str, name: str, body: bytes) -> bytes:
    """The file contents for ``body`` stored as ``kind``/``name``: a header line, then the body."""
    key = machine_key()
    return b" ".join((MAGIC, _key_id(key), _mac(key, kind, name, body))) + b"\n" + body


def unseal(kind: str, name: str, data: bytes) -> bytes:
    """The body of a sealed file; :class:`SealError` unless this machine's key sealed it as ``kind``/``name``."""
    header, newline, body = data.partition(b"\n")
    parts = header.split(b" ")
    if not newline or len(parts) != 3 or parts[0] != MAGIC:
        raise SealError("it is not a sealed cache file")
    key = machine_key()
    if not hmac.compare_digest(parts[1], _key_id(key)):
        raise SealError("it was sealed with another key", foreign=True)
    if not hmac.compare_digest(parts[2], _mac(key, kind, name, body)):
        raise SealError("its seal does not match its contents (altered or corrupt)")
    return body
