"""The `chainrule` command: the engine's `grad` and `trace` (engine/cli.py) plus `serve`, which
runs the web app with uvicorn and prints its address."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.cli import build_parser
from engine.cli import main as engine_main


def cmd_serve(args: argparse.Namespace) -> int:
    from .serving import serve
    from .settings import Settings

    settings = Settings()
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    shown = f"[{host}]" if ":" in host else host
    line = (f"chainrule is running at http://{shown}:{port}/  (API docs: http://{shown}:{port}/docs; "
            f"stop with Ctrl-C)")
    return serve(settings, host, port, args.workers, args.log_level, announce=line)


def build_app_parser() -> argparse.ArgumentParser:
    """engine.cli's parser with `serve` added to its subcommands (argparse has no public way
    to reach an existing subparsers group, hence the lookup in _actions)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    s = sub.add_parser("serve", help="run the web app (page, REST API, docs)")
    s.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, or "
                                                "CHAINRULE_HOST)")
    s.add_argument("--port", type=int, default=None, help="port (default 8000, or CHAINRULE_PORT)")
    s.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    s.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"])
    s.set_defaults(run=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """`serve` here; `grad` and `trace` exactly as engine.cli runs them (its argument handling
    and error reporting included)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("serve", "-h", "--help"):
        args = build_app_parser().parse_args(argv)  # help and usage list `serve` too
        return args.run(args)
    return engine_main(argv)


if __name__ == "__main__":
    sys.exit(main())
