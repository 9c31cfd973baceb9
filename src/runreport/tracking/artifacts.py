"""Artifact files of a run: copying in, writing generated files, listing and downloading.

Every destination is checked to stay inside the run's ``artifacts/`` folder: an
``artifact_path`` that is absolute or climbs out with ``..`` is refused before anything is
written. Files are copied under a temporary name and renamed into place, so a reader never sees
half an artifact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from runreport.exceptions import InvalidParameterError, ResourceNotFoundError
from runreport.store.files import atomic_write, remove_tree, replacing, temp_path
from runreport.store.format import TEMP_PREFIX


def _checked_relative(path: str | None, what: str) -> PurePosixPath:
    if path is None or path in ("", "."):
        return PurePosixPath()
    text = str(path).replace("\\", "/")
    pure = PurePosixPath(text)
    if "\x00" in text or pure.is_absolute() or ".." in pure.parts or text.startswith("~"):
        raise InvalidParameterError(
            f"{what} {path!r} is not allowed; it must be a relative path inside the run's "
            "artifacts that does not start with '/' or '~' or contain '..'"
        )
    return PurePosixPath(*(p for p in pure.parts if p != "."))


def destination(
    artifacts_dir: Path, artifact_path: str | None, what: str = "artifact_path"
) -> Path:
    """The folder or file ``artifact_path`` names in ``artifacts_dir``, checked to stay inside."""
    relative = _checked_relative(artifact_path, what)
    target = artifacts_dir.joinpath(*relative.parts)
    root = artifacts_dir.resolve()
    resolved = target.resolve()
    if resolved != root and root not in resolved.parents:
        raise InvalidParameterError(
            f"{what} {artifact_path!r} resolves outside the run's artifacts folder (a symlink?)"
        )
    return target


def _copy_file(src: Path, dest: Path) -> None:
    """Copy under a unique temporary name, then rename: concurrent copies never mix."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with replacing(dest) as temp:
        shutil.copyfile(src, temp)


def log_file(
    artifacts_dir: Path, local_path: str | os.PathLike[str], artifact_path: str | None
) -> None:
    src = Path(local_path)
    if not src.is_file():
        kind = "a folder; use log_artifacts" if src.is_dir() else "missing"
        raise InvalidParameterError(f"cannot log artifact {str(src)!r}: it is {kind}")
    _copy_file(src, destination(artifacts_dir, artifact_path) / src.name)


def log_folder(
    artifacts_dir: Path, local_dir: str | os.PathLike[str], artifact_path: str | None
) -> None:
    """Copy every file below ``local_dir`` (symlinked folders are not followed).

    A new destination folder (a model, say) appears whole: it is filled under a temporary
    name and renamed into place. Into an existing folder, files are copied one by one, each
    atomically.
    """
    src = Path(local_dir)
    if not src.is_dir():
        raise InvalidParameterError(f"cannot log artifacts from {str(src)!r}: it is not a folder")
    base = destination(artifacts_dir, artifact_path)
    files = _files_below(src)
    if not files:
        return
    if base.exists():
        for relative in files:
            _copy_file(src / relative, base / relative)
        return
    base.parent.mkdir(parents=True, exist_ok=True)
    staging = temp_path(base)
    try:
        for relative in files:
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / relative, staging / relative)
        try:
            os.rename(staging, base)
        except OSError:  # another writer created the folder meanwhile: merge into it
            for relative in files:
                _copy_file(staging / relative, base / relative)
    finally:
        remove_tree(staging)


def _files_below(folder: Path) -> list[Path]:
    """Relative paths of the regular files below ``folder``, sorted (symlinked folders skipped)."""
    found: list[Path] = []
    for current, _dirs, names in os.walk(folder):
        relative = Path(current).relative_to(folder)
        found.extend(relative / name for name in sorted(names) if (Path(current) / name).is_file())
    return found


def write_text(artifacts_dir: Path, artifact_file: str, text: str) -> Path:
    target = destination(artifacts_dir, artifact_file, "artifact_file")
    if target == artifacts_dir:
        raise InvalidParameterError("artifact_file must name a file, e.g. 'notes/summary.txt'")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text)
    return target


def dict_text(dictionary: Any, artifact_file: str) -> str:
    """``log_dict`` content: YAML for .yaml/.yml files, JSON otherwise (as MLflow does)."""
    if artifact_file.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_dump(
            dictionary, default_flow_style=False, sort_keys=False, allow_unicode=True
        )
    return json.dumps(dictionary, indent=2, ensure_ascii=False) + "\n"


def save_figure(figure: Any, target: Path) -> None:
    """Save a matplotlib figure or an altair chart to ``target`` (format from its suffix).

    The figure is saved under a temporary name with the same suffix and renamed, so a failure
    or a crash while saving never leaves half a file at ``target``.
    """
    module = type(figure).__module__
    if not module.startswith(("matplotlib", "altair", "plotly")) or (
        module.startswith("altair") and not hasattr(figure, "save")
    ):
        raise InvalidParameterError(
            f"cannot log a figure of type {type(figure).__name__}; expected a matplotlib figure, "
            "an altair chart or a plotly figure"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with replacing(target, keep_suffix=True) as temp:
        if module.startswith("matplotlib"):
            figure.savefig(temp)
        elif module.startswith("altair"):
            figure.save(str(temp))
        elif target.suffix == ".html":
            figure.write_html(str(temp))
        else:
            figure.write_image(str(temp))


def save_image(image: Any, target: Path) -> None:
    """Save a numpy array (HxW, HxWx3, HxWx4; uint8 or floats in [0, 1]) or PIL image as PNG."""
    try:
        from PIL import Image
    except ImportError:
        raise InvalidParameterError("log_image needs Pillow: pip install pillow") from None
    if not isinstance(image, Image.Image):
        import numpy as np

        array = np.asarray(image)
        if array.dtype.kind == "f":
            if array.size and (np.nanmin(array) < 0 or np.nanmax(array) > 1):
                raise InvalidParameterError("float images must hold values between 0 and 1")
            array = (np.nan_to_num(array) * 255).round().astype("uint8")
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise InvalidParameterError(
                f"image array has shape {array.shape}; expected (H, W), (H, W, 1|3|4)"
            )
        if array.ndim == 3 and array.shape[2] == 1:
            array = array.squeeze(axis=2)
        image = Image.fromarray(array.astype("uint8"))
    target.parent.mkdir(parents=True, exist_ok=True)
    with replacing(target, keep_suffix=True) as temp:
        image.save(temp)


def download(artifacts_dir: Path, path: str, dst_path: str | None) -> str:
    """Copy an artifact file or folder to ``dst_path`` (a new temporary folder when None)."""
    source = destination(artifacts_dir, path, "artifact path")
    if not source.exists():
        raise ResourceNotFoundError(
            f"artifact {path!r} does not exist in {artifacts_dir}; "
            f"it holds: {', '.join(sorted(p.name for p in artifacts_dir.iterdir())) or 'nothing'}"
        )
    dst_root = Path(dst_path) if dst_path else Path(tempfile.mkdtemp(prefix="runreport-"))
    dst_root.mkdir(parents=True, exist_ok=True)
    target = dst_root / (source.name if path not in ("", ".") else "artifacts")
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True, ignore=_temporary)
    else:
        shutil.copyfile(source, target)
    return str(target)


def _temporary(folder: str, names: list[str]) -> list[str]:
    """Names ``copytree`` leaves out: temporary files of writers that are running or crashed."""
    return [name for name in names if name.startswith(TEMP_PREFIX)]
