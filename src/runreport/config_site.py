"""The ``site:`` section of the configuration: what ``runreport build`` keeps out of the site.

```yaml
site:
  exclude: ["*.ckpt", "data/**"]     # artifacts never published (also: build --exclude)
  show_secrets: ["db_user_password"] # keys shown although they look like secrets; or true
  publish_active_artifacts: false    # true: HTML, SVG, JS... artifacts published as they are
```

``exclude`` holds globs matched against an artifact's path inside the run (see
:mod:`runreport.site.exclude`). ``show_secrets`` is ``false`` (the default: every param and tag
whose key looks like a secret is masked), ``true`` (nothing is masked) or a list of key globs
(case-insensitive) that are shown although they look like secrets.
``publish_active_artifacts`` is ``false`` (the default: artifacts a browser would run, such as
``report.html`` or ``plot.svg``, are published as text, ``report.html.txt``; see
:mod:`runreport.site.active`) or ``true`` (published as they are, scripts and all).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_SITE_KEYS = ("exclude", "show_secrets", "publish_active_artifacts")


@dataclass(frozen=True)
class SiteConfig:
    """Artifact globs kept out of the site, which secret-looking keys are shown anyway, and
    whether active-content artifacts (HTML, SVG, JS...) are published as they are."""

    exclude: tuple[str, ...] = ()
    show_secrets: bool | tuple[str, ...] = False
    publish_active_artifacts: bool = False


def site_section(value: Any, origin: Any) -> SiteConfig:
    if value is None:
        return SiteConfig()
    if not isinstance(value, dict):
        raise origin.error(value, None, "site", "'site' must be a mapping")
    for key in value:
        if key not in _SITE_KEYS:
            raise origin.error(
                value, key, "site", f"unknown key {key!r}; expected one of {', '.join(_SITE_KEYS)}"
            )
    return SiteConfig(
        exclude=_exclude(value, origin),
        show_secrets=_show_secrets(value, origin),
        publish_active_artifacts=_publish_active(value, origin),
    )


def _globs(value: Any) -> tuple[str, ...] | None:
    """``value`` as a tuple of non-empty strings (a lone string counts), else None."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) and item.strip() for item in value):
        return None
    return tuple(value)


def _exclude(section: dict[str, Any], origin: Any) -> tuple[str, ...]:
    from runreport.site.exclude import pattern_problem

    if section.get("exclude") is None:
        return ()
    globs = _globs(section["exclude"])
    if globs is None:
        raise origin.error(
            section,
            "exclude",
            "site",
            f"exclude must be a list of artifact globs such as ['*.ckpt', 'data/**'], "
            f"not {section['exclude']!r}",
        )
    for glob in globs:
        problem = pattern_problem(glob)
        if problem:
            raise origin.error(section, "exclude", "site", problem)
    return globs


def _show_secrets(section: dict[str, Any], origin: Any) -> bool | tuple[str, ...]:
    value = section.get("show_secrets")
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    globs = _globs(value)
    if globs is None:
        raise origin.error(
            section,
            "show_secrets",
            "site",
            "show_secrets must be true, false or a list of param/tag key globs such as "
            f"['db_password'], not {value!r}",
        )
    return globs


def _publish_active(section: dict[str, Any], origin: Any) -> bool:
    value = section.get("publish_active_artifacts")
    if value is None:
        return False
    if not isinstance(value, bool):
        raise origin.error(
            section,
            "publish_active_artifacts",
            "site",
            "publish_active_artifacts must be true (HTML, SVG, JS... artifacts published as "
            f"they are) or false (published as text, the default), not {value!r}",
        )
    return value
