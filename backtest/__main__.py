"""``python -m backtest generate | run | train``, run from the repository root.

    python -m backtest generate --days 183 --seed 0 --out data.csv
    python -m backtest run --data data.csv --from 2018-08-08 --to 2018-08-14 \\
        --label-delay-days 7 [--set 'ruleOverrides={"highAmount": 220}'] \\
        --scores scores.csv [--report report.html]
    python -m backtest train --data data.csv --from D1 --to D2 --label-delay-days 7 --model OUT

Progress goes to stderr, the figures to stdout. A usage or data error exits 2 with a message.
"""

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from common.model import ModelError, load_forest
from common.rules import RuleConfigError, rule_config_from_json

from backtest import dataset_cache
from backtest.dataset import DataError
from backtest.entity_scorer import ModelScorer
from backtest.evaluation import evaluate
from backtest.generator import Simulation, generate, write_csv
from backtest.progress import Progress
from backtest.replay import Window, replay
from backtest.report import write_report
from backtest.scores import write_scores
from backtest.summary import RunSettings, render
from backtest.training import TrainingError, train, training_set, write_artifact

SETTINGS = ("ruleOverrides",)  # what --set accepts (the fraud: config keys the backtest reads)
MAX_LABEL_DELAY_DAYS = 365


class UsageError(ValueError):
    """A command line that cannot be run as given; the message says why."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day as YYYY-MM-DD") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    return int(text)


def _delay(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_LABEL_DELAY_DAYS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number of days from 0 to {MAX_LABEL_DELAY_DAYS}")
    return int(text)


def _settings(pairs: list[str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        key = key.removeprefix("fraud:")
        if not separator or key not in SETTINGS:
            raise UsageError(f"--set takes KEY=VALUE with KEY one of {', '.join(SETTINGS)}, "
                             f"not {pair!r}")
        if key in settings:
            raise UsageError(f"--set {key} is given twice; give it once")
        settings[key] = value
    return settings


def _window(args: argparse.Namespace) -> Window:
    if args.first_day > args.last_day:
        raise UsageError(f"--from {args.first_day} is after --to {args.last_day}")
    return Window(args.first_day, args.last_day)


def _progress(label: str, unit: str = "transactions") -> tuple[Callable[[int, int], None],
                                                                Callable[[], None]]:
    bar: list[Progress] = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(Progress(label, total, unit))
        bar[0].update(done)

    return update, lambda: bar[0].close() if bar else None


def command_generate(args: argparse.Namespace) -> int:
    simulation = Simulation(days=args.days, seed=args.seed)
    started = time.monotonic()
    transactions = generate(simulation, progress=lambda text: print(text, file=sys.stderr))
    update, close = _progress("writing")
    write_csv(transactions, args.out, progress=update)
    close()
    frauds = transactions.fraud
    by_scenario = ", ".join(f"scenario {n}: {int((transactions.scenario == n).sum()):,}"
                            for n in (1, 2, 3))
    print(f"Wrote {args.out}: {len(transactions):,} transactions over {simulation.days} days "
          f"from {simulation.start} (seed {simulation.seed}), {int(frauds.sum()):,} fraud "
          f"({100 * frauds.mean():.2f} %; {by_scenario}) in {time.monotonic() - started:.0f} s")
    return 0


def command_run(args: argparse.Namespace) -> int:
    window = _window(args)
    forest = None
    if args.model is not None:
        try:
            forest = load_forest(Path(args.model))
        except ModelError as error:
            raise UsageError(f"--model: {error}") from None
    overrides = _settings(args.set).get("ruleOverrides", "")
    try:
        rules = rule_config_from_json(overrides)
    except RuleConfigError as error:
        raise UsageError(f"--set ruleOverrides: {error}") from None
    started = time.monotonic()
    update, close = _progress("reading")
    dataset, cached = dataset_cache.read(args.data, progress=update)
    close()
    read_seconds = time.monotonic() - started
    started = time.monotonic()
    update, close = _progress("replay")
    scorer = ModelScorer(rules, forest) if forest else None
    replayed = replay(dataset, rules, window, args.label_delay_days, scorer=scorer,
                      progress=update)
    close()
    if not len(replayed):
        raise UsageError(f"no transactions from {window.first_day} to {window.last_day} in "
                         f"{args.data}")
    replay_seconds = time.monotonic() - started
    write_scores(dataset, replayed, args.scores)
    evaluation = evaluate(dataset, replayed)
    settings = RunSettings(str(args.data), window, args.label_delay_days, overrides, rules)
    replayed_rows = int(replayed.rows[-1]) + 1
    print(render(settings, dataset, evaluation, replayed_rows))
    if forest:
        print(f"\n  model    {args.model} ({forest.version}, {len(forest.trees)} trees)")
    print(f"\n  read     {len(dataset):,} transactions in {read_seconds:.0f} s"
          + (" (validated by an earlier run: .backtest/cache/)" if cached else ""))
    print(f"  replay   {replayed_rows:,} transactions in {replay_seconds:.0f} s")
    print(f"  scores   {args.scores} ({len(replayed):,} rows)")
    if args.report:
        write_report(settings, dataset, evaluation, replayed_rows, args.report)
        print(f"  report   {args.report}")
    return 0


def command_train(args: argparse.Namespace) -> int:
    window = _window(args)
    update, close = _progress("reading")
    dataset, _cached = dataset_cache.read(args.data, progress=update)
    close()
    started = time.monotonic()
    update, close = _progress("features")
    vectors, frauds = training_set(dataset, window, args.label_delay_days, update)
    close()
    if not len(vectors):
        raise UsageError(f"no transactions from {window.first_day} to {window.last_day} in "
                         f"{args.data}")
    try:
        artifact = train(vectors, frauds, args.label_delay_days)
    except TrainingError as error:
        raise UsageError(str(error)) from None
    write_artifact(artifact, args.model)
    print(f"Wrote {args.model}: {artifact['modelVersion']}, {len(artifact['trees'])} trees "
          f"on {len(vectors):,} transactions ({int(frauds.sum()):,} fraud) from "
          f"{window.first_day} to {window.last_day}, label delay {args.label_delay_days} days, "
          f"in {time.monotonic() - started:.0f} s")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m backtest", description=__doc__.split("\n")[0])
    commands = main.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write the labelled benchmark dataset (CSV)")
    gen.add_argument("--days", type=_positive, default=Simulation.days)
    gen.add_argument("--seed", type=_seed, default=Simulation.seed)
    gen.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    gen.set_defaults(handler=command_generate)

    def period(command: argparse.ArgumentParser) -> None:
        command.add_argument("--data", type=Path, required=True, metavar="FILE")
        command.add_argument("--from", dest="first_day", type=_day, required=True,
                             metavar="YYYY-MM-DD")
        command.add_argument("--to", dest="last_day", type=_day, required=True,
                             metavar="YYYY-MM-DD")
        command.add_argument("--label-delay-days", type=_delay, required=True, metavar="D")

    run = commands.add_parser("run", help="replay a dataset through the rules (and a model), "
                              "measure them")
    period(run)
    run.add_argument("--model", metavar="MODEL")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help='e.g. ruleOverrides={"highAmount": 5000}')
    run.add_argument("--scores", type=Path, required=True, metavar="OUT.csv")
    run.add_argument("--report", type=Path, metavar="OUT.html")
    run.set_defaults(handler=command_run)

    train = commands.add_parser("train", help="train the model on a window, write its artifact")
    period(train)
    train.add_argument("--model", type=Path, required=True, metavar="OUT")
    train.set_defaults(handler=command_train)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, DataError, OSError) as error:
        if isinstance(error, OSError):
            error = f"{error.filename}: {error.strerror}" if error.filename else error
        print(f"python -m backtest {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
