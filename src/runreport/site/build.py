"""``runreport build``: the static site, as a sequence of named phases.

1. **read runs**: every experiment and run (:mod:`.inputs`); bad folders become problems;
   secret-looking params and tags are masked (:mod:`.secrets`) before anything else sees them.
2. **read registry**: ``stages.yaml`` and its git history, when present (:mod:`.registry`).
3. **assets**: the site's CSS/JS and the Vega bundle (:mod:`.assets`).
4. **pages**: page models (dataclasses, with their charts) rendered in memory; a run whose
   inputs did not change since the last build is reused without reading it again.
5. **write**: every file whose bytes changed, the manifest, and removal of stale files
   (:mod:`.output`).

Nothing is written before phases 1-4 have finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from runreport import __version__
from runreport.exceptions import InvalidParameterError
from runreport.formatting import format_time
from runreport.site import paths
from runreport.site.artifacts import ScanRules
from runreport.site.assets import Assets, prepare_assets
from runreport.site.exclude import Exclusions
from runreport.site.inputs import Problem, SiteInputs, read_runs
from runreport.site.output import SiteWriter, WriteStats
from runreport.site.pages import Frame, Link
from runreport.site.render import templates_fingerprint
from runreport.site.secrets import SecretPolicy

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class BuildOptions:
    """What to build from and where; the CLI's options."""

    runs_dirs: list[Path] = field(default_factory=lambda: [Path("runs")])
    output: Path = Path("site")
    registry: Path | None = None
    title: str = "runreport"
    strict: bool = False
    self_contained: bool = False
    exclude: tuple[str, ...] = ()  # artifact globs kept out of the site (see site.exclude)
    show_secrets: bool | tuple[str, ...] = False  # secret-looking keys shown (see site.secrets)
    # HTML, SVG, JS... artifacts published as they are, not as text (see site.active)
    publish_active_artifacts: bool = False
    # Set by the build itself: runs folders converted from MLflow stores with hard links, and
    # the runs their conversion left out (reported with the build's other problems).
    linked_roots: tuple[Path, ...] = ()
    source_problems: tuple[Problem, ...] = ()


@dataclass(slots=True)
class BuildReport:
    experiments: int
    runs: int
    pages: int
    problems: list[Problem]
    stats: WriteStats
    seconds: float
    runs_made: int
    runs_reused: int
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when ``--strict`` should fail the build (a run or experiment was skipped)."""
        return bool(self.problems)

    def summary(self) -> str:
        return (
            f"{self.experiments:,} experiments, {self.runs:,} runs, {self.pages:,} pages, "
            f"{len(self.problems):,} skipped; {self.stats.written:,} files written, "
            f"{self.stats.unchanged:,} unchanged, {self.stats.removed:,} removed "
            f"in {self.seconds:.1f} s"
        )


@dataclass(slots=True)
class SiteContext:
    """Build-wide settings every page model needs."""

    options: BuildOptions
    assets: Assets
    built_at: str | None
    has_registry: bool = False
    secrets: SecretPolicy = field(default_factory=SecretPolicy)
    exclusions: Exclusions = field(default_factory=Exclusions)

    def scan_rules(self, run_dir: Path) -> ScanRules:
        """What the artifact scan of the run in ``run_dir`` leaves out."""
        roots = self.options.linked_roots
        linked = bool(roots) and any(r.resolve() in run_dir.resolve().parents for r in roots)
        return ScanRules(
            self.exclusions,
            max_links=2 if linked else 1,
            publish_active=self.options.publish_active_artifacts,
        )

    def frame(
        self,
        page_path: str,
        title: str,
        page_id: str,
        breadcrumbs: list[Link] | None = None,
        scripts: tuple[str, ...] = ("site.js",),
        data_scripts: tuple[tuple[str, str], ...] = (),
    ) -> Frame:
        """The frame of one page; ``data_scripts`` are (site path, content) pairs."""
        assets = self.assets
        root = paths.root_of(page_path)
        frame = Frame(
            title=title,
            site_title=self.options.title,
            root=root,
            page_id=page_id,
            breadcrumbs=[Link(self.options.title, root + paths.HOME), *(breadcrumbs or [])],
            styles=assets.styles(page_path),
            inline_styles=assets.inline_styles(),
            has_registry=self.has_registry,
        )
        if assets.self_contained:
            frame.inline_scripts = [
                *(_inline(content) for _, content in data_scripts),
                *assets.inline_scripts(list(scripts)),
            ]
        else:
            frame.scripts = [paths.href(page_path, p) for p, _ in data_scripts]
            frame.scripts += assets.scripts(page_path, list(scripts))
        frame.favicon = (
            "data:," if assets.self_contained else paths.href(page_path, paths.asset("favicon.svg"))
        )
        return frame


def _inline(content: str) -> Markup:
    from runreport.site.assets import inline_script

    return inline_script(content)


def build_site(options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Build the site described by ``options``; return what was done.

    Raises:
        InvalidParameterError: the output folder is a runs folder or holds the runs.
    """
    from runreport.site.foreign import readable_sources

    _check_output(options)
    _exclusions(options)  # a bad glob fails before anything is read
    with readable_sources(options) as readable:  # MLflow stores: converted for the build
        return _build(readable, progress)


def _build(options: BuildOptions, progress: Progress | None) -> BuildReport:
    started = time.perf_counter()
    show = options.show_secrets
    secrets = SecretPolicy(show if isinstance(show, bool) else tuple(show))
    inputs = read_runs([Path(p) for p in options.runs_dirs])  # phase 1: read runs
    inputs.problems.extend(options.source_problems)
    mask_secrets(inputs, secrets)
    registry = _read_registry(options, inputs)  # phase 2: read registry
    writer = SiteWriter.open(Path(options.output), _fingerprint(options))
    assets = prepare_assets(writer, options.self_contained)  # phase 3: assets
    site = SiteContext(
        options, assets, _built_at(), registry is not None, secrets, _exclusions(options)
    )
    from runreport.site.make import make_pages

    made = make_pages(inputs, site, writer, progress)  # phase 4: pages
    stats = writer.commit()  # phase 5: write
    return BuildReport(
        experiments=len(inputs.experiments),
        runs=len(inputs.runs),
        pages=made.pages,
        problems=inputs.problems,
        stats=stats,
        seconds=time.perf_counter() - started,
        runs_made=made.runs_made,
        runs_reused=made.runs_reused,
        notes=made.notes,
    )


def mask_secrets(inputs: SiteInputs, secrets: SecretPolicy) -> None:
    """Mask secret-looking params and tags of every run and experiment, before any page,
    data file or build key is made from them."""
    for experiment in inputs.experiments:
        experiment.tags = secrets.mask(experiment.tags)
        experiment.runs = [secrets.mask_run(run) for run in experiment.runs]


def _exclusions(options: BuildOptions) -> Exclusions:
    try:
        return Exclusions.of(options.exclude)
    except ValueError as exc:
        raise InvalidParameterError(str(exc)) from None


def _check_output(options: BuildOptions) -> None:
    out = Path(options.output).resolve()
    for runs_dir in options.runs_dirs:
        runs = Path(str(runs_dir).removeprefix("sqlite:///")).resolve()
        if out == runs or runs in out.parents or out in runs.parents:
            raise InvalidParameterError(
                f"output folder {str(options.output)!r} overlaps the runs folder "
                f"{str(runs_dir)!r}; choose an output folder outside it (e.g. -o site)"
            )


def _read_registry(options: BuildOptions, inputs: SiteInputs) -> object | None:
    from runreport.site.registry import read_registry

    inputs.registry = read_registry(options.registry, inputs)
    return inputs.registry


def _built_at() -> str | None:
    """The build time when ``SOURCE_DATE_EPOCH`` gives one (otherwise none: same input, same
    bytes)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return format_time(int(epoch) * 1000)
    except ValueError:
        raise InvalidParameterError(
            f"SOURCE_DATE_EPOCH is {epoch!r}; expected whole seconds since 1970-01-01 UTC"
        ) from None


def _fingerprint(options: BuildOptions) -> str:
    """What every page depends on besides its data: templates, version and options."""
    parts = [
        __version__,
        templates_fingerprint(),
        options.title,
        options.self_contained,
        list(options.exclude),
        options.show_secrets if isinstance(options.show_secrets, bool) else [*options.show_secrets],
        options.publish_active_artifacts,
    ]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()
