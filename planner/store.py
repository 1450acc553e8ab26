"""The atomic, checksummed folder store under the cache folder.

A folder is written whole into a temporary folder, a SHA-256 of each file is added last
(``checksums.json``) and the folder is renamed into place; it is read back only when every
file matches its checksum. A store is a convenience, never a reason to fail: a folder that
cannot be written costs one warning; a damaged entry (truncated, corrupt, foreign) is
ignored with a warning, removed and recomputed by the caller. The folder is
``$JANGKAU_CACHE`` or ``~/.cache/jangkau``. Used by the run cache (:mod:`planner.cache`) and
by kept OpenStreetMap extracts (:mod:`planner.inputs.osm`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .inputs.io import file_sha256

T = TypeVar("T")

log = logging.getLogger("planner")


def cache_dir() -> Path:
    """Where cached steps live.

    Returns
    -------
    Path
        ``$JANGKAU_CACHE``, or ``~/.cache/jangkau``.
    """
    return Path(os.environ.get("JANGKAU_CACHE", Path.home() / ".cache" / "jangkau"))


def save_folder(name: str, write: Callable[[Path], None], warnings: list[str] | None = None,
                what: str = "the data") -> bool:
    """Write a cache entry atomically.

    ``write`` fills a temporary folder, a SHA-256 of each file is added last
    (``checksums.json``) and the folder is renamed into place as ``name``. A cache folder
    that cannot be written is not an error: one warning (logged, and added to ``warnings``).

    Parameters
    ----------
    name : str
        The entry's folder name under :func:`cache_dir`.
    write : callable
        Fills the folder it is given.
    warnings : list of str, optional
        Where the warning goes (else the log).
    what : str, default "the data"
        What is stored, for the warning.

    Returns
    -------
    bool
        Whether the entry was stored.
    """
    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    except OSError as exc:
        _warn(warnings, f"cache folder {root} cannot be used ({exc.strerror or exc}); running "
              "without the cache (set JANGKAU_CACHE to a writable folder)")
        return False
    try:
        write(tmp)
        sums = {p.name: file_sha256(p) for p in sorted(tmp.iterdir())}
        (tmp / "checksums.json").write_text(json.dumps(sums))  # written last
        target = root / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists() or target.is_symlink():
            target.unlink()
        os.replace(tmp, target)
        return True
    except Exception as exc:  # disk full, read-only, a writer's own error: not the run's
        _warn(warnings, f"could not store {what} in the cache {root} ({exc}); the results "
              "are unaffected")
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _warn(warnings: list[str] | None, message: str) -> None:
    """Report a store fault once: in the run's warnings when the caller keeps them, else in
    the log."""
    if warnings is not None:
        warnings.append(message)
    else:
        log.warning(message)


def load_folder(name: str, read: Callable[[Path], T], warnings: list[str] | None = None, *,
                required: str, label: str = "cache entry") -> T | None:
    """A cache entry read by ``read`` after every file is checked against its SHA-256.

    A bad entry (truncated, corrupt, foreign; ``required`` missing from its checksums) is
    warned about ("ignored a damaged <label> ...") and removed.

    Parameters
    ----------
    name : str
        The entry's folder name.
    read : callable
        Reads the checked folder it is given.
    warnings : list of str, optional
        Where the warning goes (else the log).
    required : str
        A file every good entry has.
    label : str, default "cache entry"
        What is read, for the warning.

    Returns
    -------
    object or None
        What ``read`` returned; None for no entry or a bad one.
    """
    folder = cache_dir() / name
    try:
        if not folder.exists():
            return None
        if not folder.is_dir():
            raise ValueError("the entry is not a folder")
        sums = json.loads((folder / "checksums.json").read_text())
        if not isinstance(sums, dict) or required not in sums:
            raise ValueError("no checksums")
        for file, digest in sums.items():
            if "/" in file or file_sha256(folder / file) != digest:
                raise ValueError(f"{file} does not match its checksum")
        found = read(folder)
    except Exception as exc:  # truncated, corrupt, foreign: recompute
        _warn(warnings, f"ignored a damaged {label} {folder} ({type(exc).__name__}: "
              f"{exc}); recomputing")
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                folder.unlink()
        return None
    return found
