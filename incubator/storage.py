"""File storage for uploads: random names outside `static/`, served only through authorised routes.

The only module that touches the file system for uploads. A local directory by default; another backend (an object
store) implements the same three methods.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Protocol

from incubator.config import get_settings
from incubator.errors import PayloadTooLarge, ValidationFailed

PDF_MAGIC = b"%PDF-"


class Storage(Protocol):
    def save(self, data: bytes, *, suffix: str) -> str: ...
    def read(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise ValueError("invalid storage key")
        return self.root / key

    def save(self, data: bytes, *, suffix: str) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(16) + suffix
        self._path(key).write_bytes(data)
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def get_storage() -> Storage:
    return LocalStorage(get_settings().storage_dir)


def check_pdf(data: bytes, *, field: str = "file") -> None:
    """Refuse anything that is not a PDF by its content, or that is larger than the upload limit."""
    limit = get_settings().max_upload_bytes
    if len(data) > limit:
        raise PayloadTooLarge(
            f"The file is {len(data) // 1024} KiB; the limit is {limit // 1024} KiB.",
            field_errors={field: f"Files may be at most {limit // (1024 * 1024)} MiB."},
        )
    if not data.startswith(PDF_MAGIC):
        raise ValidationFailed("Only PDF files are accepted.", field_errors={field: "This file is not a PDF."})
