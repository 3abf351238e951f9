"""``python -m smoke local | deployed --stack S --api-url URL``: what ``make smoke`` runs."""

import argparse
import os
import sys
from pathlib import Path

from smoke.scenarios import Outcome, run_scenarios
from smoke.targets import DeployedTarget, HttpTarget, LocalTarget, SmokeError


def _target(args: argparse.Namespace) -> HttpTarget:
    if args.command == "local":
        return LocalTarget(args.outbox)
    from shared.lambdas import NOTIFY_TEAM
    from shared.layers import COMPUTE
    from shared.naming import lambda_log_group_name, resource_name
    from shared.preflight import layer_settings

    settings = layer_settings(COMPUTE, args.stack)
    log_group = lambda_log_group_name(resource_name("lambda", NOTIFY_TEAM.id,
                                                    settings.environment_suffix))
    return DeployedTarget(args.api_url, settings.region, log_group,
                          os.environ.get("SMOKE_API_KEY") or None)


def _print(outcome: Outcome) -> None:
    print(f"  {'ok  ' if outcome.passed else 'FAIL'}  {outcome.scenario}: {outcome.detail}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smoke")
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="a running `make local SIGV4=1`")
    local.add_argument("--outbox", type=Path, default=Path("local-outbox"))
    deployed = commands.add_parser("deployed", help="a deployed stack's API")
    deployed.add_argument("--stack", required=True)
    deployed.add_argument("--api-url", required=True)
    args = parser.parse_args(argv)
    try:
        target = _target(args)
    except SmokeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Smoke test of {target.name} ({target.api_url})")
    outcomes = run_scenarios(target, _print)
    failed = [outcome for outcome in outcomes if not outcome.passed]
    print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
