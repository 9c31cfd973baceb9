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
from runreport.store.files import atomic_write
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
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(f"{TEMP_PREFIX}{dest.name}")
    shutil.copyfile(src, temp)
    os.replace(temp, dest)


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
    """Copy every file below ``local_dir`` (symlinked folders are not followed)."""
    src = Path(local_dir)
    if not src.is_dir():
        raise InvalidParameterError(f"cannot log artifacts from {str(src)!r}: it is not a folder")
    base = destination(artifacts_dir, artifact_path)
    for folder, _dirs, files in os.walk(src):
        relative = Path(folder).relative_to(src)
        for name in sorted(files):
            source = Path(folder) / name
            if source.is_file():
                _copy_file(source, base / relative / name)


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
    """Save a matplotlib figure or an altair chart to ``target`` (format from its suffix)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    module = type(figure).__module__
    if module.startswith("matplotlib"):
        figure.savefig(target)
    elif module.startswith("altair") and hasattr(figure, "save"):
        figure.save(str(target))
    elif module.startswith("plotly"):
        if target.suffix == ".html":
            figure.write_html(str(target))
        else:
            figure.write_image(str(target))
    else:
        raise InvalidParameterError(
            f"cannot log a figure of type {type(figure).__name__}; expected a matplotlib figure, "
            "an altair chart or a plotly figure"
        )


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
    image.save(target)


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
        shutil.copytree(source, target, symlinks=False, dirs_exist_ok=True)
    else:
        shutil.copyfile(source, target)
    return str(target)
