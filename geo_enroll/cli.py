"""The ``geo-enroll`` command line: one subcommand per step of the pipeline.

Each module in :mod:`geo_enroll.commands` defines ``register(subparsers)`` which adds its
subcommands; a subcommand's handler takes the parsed ``argparse.Namespace`` and returns an
exit code.  User errors (:class:`~geo_enroll.errors.GeoEnrollError`) are printed as a clear
message and exit 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import GeoEnrollError

__all__ = ["main", "build_parser"]

# Order = order of the pipeline; a module missing here is not a command.
_COMMAND_MODULES = (
    "parse",  # policy text -> zone spec; units resolve
    "digitise",  # spec + base map -> zones; basemap import; map
    "address",  # address parse/geocode; coords convert; geocode batch
    "place",  # cohort synth; place; lottery; classes
    "impact",  # impact of an edited zone set on the cohort
    "serve",  # web service
    "zones",  # import a published zone layer (GeoJSON, GPKG, SHP, KML)
    "scale",  # province-scale runs on dask
    "demo",  # the main job on the embedded default
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geo-enroll",
        description="义务教育划片招生 — catchment zoning and enrollment placement",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"geo_enroll.commands.{name}")
        except ModuleNotFoundError as exc:  # a pipeline step not built yet
            if exc.name == f"geo_enroll.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except GeoEnrollError as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
