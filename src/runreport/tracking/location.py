"""Where runs live: the tracking URI and the folder it names.

Order of precedence: :func:`set_tracking_uri`, then ``RUNREPORT_TRACKING_URI``, then ``./runs``
(relative to the current directory when used). A tracking URI is a folder path or a
``file://`` URI.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from runreport.exceptions import InvalidParameterError
from runreport.store.format import DEFAULT_ROOT, TRACKING_URI_ENV

_tracking_uri: str | None = None


def set_tracking_uri(uri: str | os.PathLike[str]) -> None:
    """Log to and read from the folder ``uri`` (a path or ``file://`` URI) from now on."""
    global _tracking_uri
    text = os.fspath(uri)
    root_for(text)  # validate before accepting
    _tracking_uri = text


def reset_tracking_uri() -> None:
    global _tracking_uri
    _tracking_uri = None


def get_tracking_uri() -> str:
    """The tracking URI in force, as set; the default is the ``file://`` URI of ``./runs``."""
    if _tracking_uri is not None:
        return _tracking_uri
    env = os.environ.get(TRACKING_URI_ENV)
    if env:
        return env
    return Path(DEFAULT_ROOT).absolute().as_uri()


def is_tracking_uri_set() -> bool:
    return _tracking_uri is not None or bool(os.environ.get(TRACKING_URI_ENV))


def root_for(uri: str | None = None) -> Path:
    """The absolute folder a tracking URI names; unsupported schemes are a clear error."""
    text = get_tracking_uri() if uri is None else uri
    if "://" not in text and not text.startswith("file:"):
        return Path(text).expanduser().absolute()
    parts = urlsplit(text)
    if parts.scheme == "sqlite":  # an MLflow database: read-only (runreport.store.mlflow_db)
        from runreport.store.sources import path_of

        return path_of(text)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise InvalidParameterError(
                f"tracking URI {text!r} names host {parts.netloc!r}; file URIs must be local "
                "(file:///absolute/path)"
            )
        return Path(unquote(parts.path)).absolute()
    if parts.scheme in ("http", "https", "databricks"):
        raise InvalidParameterError(
            f"tracking URI {text!r} points at a server; runreport has no server and writes run "
            "folders: give a folder path such as 'runs' or 'file:///abs/path/runs'"
        )
    raise InvalidParameterError(
        f"tracking URI scheme {parts.scheme!r} in {text!r} is not supported; expected a folder "
        "path, a file:// URI, or sqlite:///path/to/mlflow.db (read-only)"
    )
