"""The static site: ``runreport build`` turns run folders (and a registry) into HTML pages.

``build_site(BuildOptions(runs_dirs=[Path("runs")], output=Path("site")))`` is what the CLI
calls; see :mod:`runreport.site.build` for its phases and ``docs/site.md`` for the pages.
"""

from __future__ import annotations

from runreport.site.build import BuildOptions, BuildReport, build_site

__all__ = ["BuildOptions", "BuildReport", "build_site"]
