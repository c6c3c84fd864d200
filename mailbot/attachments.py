"""Attachments on disk under their content hash.

The file name a sender chose is only ever metadata (already sanitised by the
parser); the path is the SHA-256, so a hostile name cannot reach the filesystem and
the same file sent twice is stored once. Writes are atomic (temp file + rename), so
a crash leaves either the whole file or nothing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def blob_path(data_dir: Path, sha256: str) -> Path:
    return data_dir / "attachments" / sha256[:2] / sha256[2:4] / sha256


def store_blob(data_dir: Path, payload: bytes) -> str:
    sha256 = hashlib.sha256(payload).hexdigest()
    path = blob_path(data_dir, sha256)
    if path.exists():
        return sha256
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha256


def read_blob(data_dir: Path, sha256: str) -> bytes | None:
    """The stored bytes, or None when the file is gone (a restored backup without attachments)."""
    try:
        return blob_path(data_dir, sha256).read_bytes()
    except FileNotFoundError:
        return None
