"""``python -m local_mode serve | demo | report``: what ``make local``, ``make demo`` and
``make report`` run (from the repository root)."""

import argparse
import faulthandler
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from local_mode.console import Console, StatusLine, banner, counted, shown
from local_mode.emulator import EmulatorError
from local_mode.report import ReportError, build_report, parse_day
from local_mode.stack import (
    ALERT_CLAIM_SECONDS,
    DEFAULT_API_PORT,
    DEFAULT_EMULATOR_PORT,
    DEFAULT_HOST,
    DEFAULT_OUTBOX,
    LocalOptions,
    LocalStack,
    StartError,
    parse_instances,
    parse_timeouts,
    read_state,
)
from shared.outputs import DataOutputs
from shared.settings import ConfigError, qualified_config

STATUS_INTERVAL_SECONDS = 0.5


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the local mode as Ctrl-C does


def serve(args: argparse.Namespace) -> int:
    console = Console()
    options = LocalOptions(
        host=args.host, api_port=args.api_port,
        emulator_port=args.emulator_port, emulator_endpoint=args.emulator_endpoint,
        outbox=args.outbox, config=qualified_config(args.set),
        instances=parse_instances(args.instances), sigv4=args.sigv4,
        timeouts=parse_timeouts(args.timeout), alert_hold_seconds=args.alert_hold_seconds)
    show = (lambda _text: None) if args.quiet else console.print
    stack = LocalStack(options, on_message=show,
                       on_fatal=lambda text: console.print(f"error: {text}"))
    signal.signal(signal.SIGTERM, _interrupt)
    faulthandler.register(signal.SIGUSR1)  # every thread's stack, for a stop that hangs
    status: StatusLine | None = None
    try:
        stack.start()
        if not args.quiet:
            console.print(banner(api_url=stack.api_url, emulator_url=stack.emulator_endpoint,
                                 region=stack.settings.region,
                                 outbox=str(shown(options.outbox)),
                                 tables=[stack.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME],
                                         stack.outputs[DataOutputs.STATS_TABLE_NAME]],
                                 log_dir=str(shown(stack.log_dir)),
                                 own_emulator=stack.emulator is not None,
                                 api_auth=stack.settings.api_auth, sigv4=options.sigv4))
            status = StatusLine(console, stack.status, STATUS_INTERVAL_SECONDS)
            status.start()
        stack.stopped.wait()  # until Ctrl-C or SIGTERM, or the emulator exits
    except KeyboardInterrupt:
        pass
    finally:
        for stop_signal in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut
            signal.signal(stop_signal, signal.SIG_IGN)       # the clean stop short
        if status:
            status.stop()
        if not args.quiet:
            console.print("Stopping: API, workers, emulator ...")
        stack.stop()
        if not args.quiet:
            console.print("Stopped.")
    return 1 if stack.failure else 0


def report(args: argparse.Namespace) -> int:
    day = parse_day(args.day or datetime.now(UTC).date().isoformat())
    state = read_state(args.outbox)
    if state is None:
        raise ReportError(f"no local mode is running (nothing in {shown(args.outbox)}/); "
                          "start it with `make local` in another terminal, then run this again")
    saved = build_report(day, state, args.outbox)
    print(f"Report for {saved.day}: {counted(saved.transactions, 'transaction')}, "
          f"{saved.flagged} flagged")
    print(f"  HTML  {shown(saved.html)}")
    print(f"  JSON  {shown(saved.json)}")
    return 0


def demo(args: argparse.Namespace) -> int:
    from local_mode.demo import run_demo

    return run_demo(transactions=args.transactions, seed=args.seed, outbox=args.outbox)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m local_mode",
                                   description="The fraud detection pipeline on this machine.")
    commands = main.add_subparsers(dest="command", required=True)

    serve_command = commands.add_parser("serve", help="run the whole pipeline until Ctrl-C")
    serve_command.add_argument("--host", default=DEFAULT_HOST,
                               help=f"address to listen on (default {DEFAULT_HOST})")
    serve_command.add_argument("--api-port", type=int, default=DEFAULT_API_PORT,
                               help=f"API port (default {DEFAULT_API_PORT})")
    serve_command.add_argument("--emulator-port", type=int, default=DEFAULT_EMULATOR_PORT,
                               help=f"AWS emulator port (default {DEFAULT_EMULATOR_PORT})")
    serve_command.add_argument("--emulator-endpoint",
                               help="use this running emulator instead of starting one")
    serve_command.add_argument("--outbox", type=Path, default=DEFAULT_OUTBOX,
                               help="where digests, reports and logs go (default local-outbox/)")
    serve_command.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                               help="a fraud: config key, e.g. apiThrottleRateLimit=10")
    serve_command.add_argument("--instances", action="append", default=[],
                               metavar="FUNCTION=N",
                               help="concurrent instances of a function, e.g. "
                               "process-transaction=8 (default: process-transaction=4, "
                               "detect-fraud=1, notify-team=2)")
    serve_command.add_argument("--sigv4", action="store_true",
                               help="verify SigV4 signatures made with the local credentials, "
                               "as API Gateway's IAM authorization does (unsigned: 403)")
    serve_command.add_argument("--timeout", action="append", default=[],
                               metavar="FUNCTION=SECONDS",
                               help="a function's timeout, shorter for tests, e.g. "
                               "notify-team=8 (default: the compute stack's)")
    serve_command.add_argument("--alert-hold-seconds", type=int, metavar="N",
                               help="how long the alerts poller hides a received message "
                               "(default: the 5 s batching window, notify-team's timeout and "
                               f"{ALERT_CLAIM_SECONDS} s of claim)")
    serve_command.add_argument("--quiet", action="store_true",
                               help="no banner, status line or digests on the terminal")
    serve_command.set_defaults(run=serve)

    demo_command = commands.add_parser("demo", help="run a seeded workload and print figures")
    demo_command.add_argument("--transactions", type=int, default=1000)
    demo_command.add_argument("--seed", type=int, default=7)
    demo_command.add_argument("--outbox", type=Path, default=DEFAULT_OUTBOX / "demo")
    demo_command.set_defaults(run=demo)

    report_command = commands.add_parser("report", help="build a day's report now")
    report_command.add_argument("--day", help="YYYY-MM-DD (default: today, UTC)")
    report_command.add_argument("--outbox", type=Path, default=DEFAULT_OUTBOX)
    report_command.set_defaults(run=report)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (ConfigError, EmulatorError, ReportError, StartError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
