"""Generate docs/cli.md from the CLI's own --help texts: python docs/gen_cli.py

tests/test_cli.py checks the committed file is current, so the reference cannot drift.
"""

from __future__ import annotations

from pathlib import Path

import click

from runreport.cli import main


def _commands(group: click.Group, prefix: list[str]) -> list[list[str]]:
    found = [prefix]
    ctx = click.Context(group, info_name=" ".join(prefix))
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found += _commands(command, [*prefix, name])
        else:
            found.append([*prefix, name])
    return found


def _help(path: list[str]) -> str:
    from click.testing import CliRunner

    result = CliRunner().invoke(
        main, [*path[1:], "--help"], prog_name="runreport", terminal_width=100
    )
    return result.output


def render() -> str:
    parts = [
        "# CLI reference\n",
        "Generated from `--help` by `python docs/gen_cli.py`; do not edit by hand.\n",
        "Every command exits 0 on success, 1 with a one-line `Error: ...` for a problem with the",
        "input (a bad filter, an unknown run), and 2 for a usage error (an unknown option).\n",
    ]
    for path in _commands(main, ["runreport"]):
        parts.append(f"## `{' '.join(path)}`\n")
        parts.append("```\n" + _help(path).rstrip() + "\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "cli.md"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
