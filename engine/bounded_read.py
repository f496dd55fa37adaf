"""Read a regular file, at most ``limit`` bytes: the one way the engine reads what others write
(rule files, facts, lab.json, pid files).

A FIFO would block the reader and a device (``/dev/zero``) would never end, so neither is read:
the path is checked before the open, the open does not wait (``O_NONBLOCK``) should the path
become a FIFO meanwhile, and the opened file is checked again. A file's size is checked before
it is read, and a file that grows while it is read stops at the limit.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

CHUNK = 1 << 20


class NotRegularFile(ValueError):
    """A directory, FIFO, socket or device; the message says which."""


class FileTooLarge(ValueError):
    """Past the limit: ``size`` is the file's size (``exact``) or what was read before it stopped."""

    def __init__(self, size: int, limit: int, exact: bool = True):
        super().__init__(f"{size} bytes" if exact else f"more than {limit} bytes")
        self.size = size
        self.limit = limit
        self.exact = exact


def read_regular_file(path: str | Path, limit: int) -> bytes:
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile("a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file (FIFO, socket or device)")
    if info.st_size > limit:
        raise FileTooLarge(info.st_size, limit)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFile("not a regular file (FIFO, socket or device)")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise FileTooLarge(size, limit, exact=False)
    return b"".join(chunks)
