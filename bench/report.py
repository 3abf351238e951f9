"""``bench/results.md``: the results as tables, each figure with how it was measured."""

from collections.abc import Mapping, Sequence
from typing import Any

from bench import detection
from bench.prices import CHECK, LISTED, PRICES, REGION, REGION_NAME


def measured(summary: Mapping[str, Any], unit: str = "ms", digits: int = 1) -> str:
    """``12.3 ms (11.9 to 13.0)``: the median and the range of the runs."""
    return (f"{summary['median']:,.{digits}f} {unit} "
            f"({summary['low']:,.{digits}f} to {summary['high']:,.{digits}f})")


def ratio(summary: Mapping[str, Any]) -> str:
    return f"{summary['median']:.2f}x ({summary['low']:.2f} to {summary['high']:.2f})"


def usd(value: float) -> str:
    if value == 0:
        return "$0"
    if abs(value) < 0.0001:
        return "< $0.0001"
    if abs(value) < 0.01:
        return f"${value:.4f}"
    return f"${value:,.2f}"


def unit_price(value: float) -> str:
    """``$0.50``, or ``$3.50 per million`` for what AWS prices by the million."""
    per_million = value * 1e6 if value < 0.001 else None
    shown = value if per_million is None else per_million
    text = f"{shown:,.2f}" if round(shown, 2) == round(shown, 8) else f"{shown:,.4g}"
    return f"${text}" + ("" if per_million is None else " per million")


def quantity(value: float) -> str:
    if value == 0 or value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def goal_status(value: float, goal: float) -> str:
    return "met" if value <= goal else "missed"


def summary_rows(results: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    if "api_overhead" in results:
        api = results["api_overhead"]
        rows.append(["API handler overhead (POST / bare PutItem)", ratio(api["ratio"]),
                     f"≤ {api['goal']}x", goal_status(api["ratio"]["median"], api["goal"])])
    if "cold_start" in results:
        cold = results["cold_start"]
        for row in (row for row in cold["rows"] if row["function"] and not row["experiment"]):
            rows.append([f"Cold start, {row['program']} / boto3 + one client",
                         ratio(row["ratio"]), f"≤ {cold['goal']}x",
                         goal_status(row["ratio"]["median"], cold["goal"])])
        if "model" in cold:
            rows.append(["Cold start, detect-fraud: fraud:model=default / none",
                         ratio(cold["model"]["ratio"]), "", ""])
    if "work_units" in results:
        for unit in results["work_units"]["units"]:
            rows.append([f"AWS calls: {unit['name']}", _calls(unit["calls"]), unit["promise"],
                         "kept" if unit["kept"] else "broken"])
    if "rules_throughput" in results:
        rules = results["rules_throughput"]
        rows.append(["Rules engine", measured(rules["records_per_second"], "records/s", 0),
                     "", ""])
    local = results.get("local_pipeline")
    if local:
        rows.append(["Local pipeline (4 clients)",
                     f"{local['taken_in_per_second']['median']:.1f} transactions/s taken in, "
                     f"{local['end_to_end_per_second']['median']:.1f}/s to the last verdict; "
                     f"POST → verdict p50 {local['verdict_p50_ms']['median']:.0f} ms, "
                     f"p95 {local['verdict_p95_ms']['median']:.0f} ms", "", ""])
    backtest = results.get("backtest")
    if backtest:
        rows.append(
            [f"Backtest: generate the default dataset ({backtest['transactions']:,} transactions)",
             measured(backtest["generation_seconds"], "s"), "≤ 600 s",
             goal_status(backtest["generation_seconds"]["median"], 600)])
        for key, which in (("first_run", "a file's first run (every row validated)"),
                           ("next_run", "the next run of that file (validated before)")):
            run = backtest[key]
            rows += [
                [f"Backtest: python -m backtest run over all of it, {which}",
                 f"{measured(run['run_seconds'], 's', 0)}: read "
                 f"{run['read_seconds']['median']:.0f} s, replay "
                 f"{run['replay_seconds']['median']:.0f} s",
                 f"< {backtest['goal_seconds']} s",
                 goal_status(run["run_seconds"]["median"], backtest["goal_seconds"])],
                [f"Backtest: peak memory, {which}", measured(run["peak_memory_mib"], "MiB", 0),
                 "", ""]]
    if "cost" in results:
        cost = results["cost"]
        rows.append(["AWS cost per million transactions, fraud:model=none",
                     usd(cost["per_million"]["total"]), "", ""])
        if "per_million_model" in cost:
            rows.append(["AWS cost per million transactions, fraud:model=default",
                         usd(cost["per_million_model"]["total"]), "", ""])
        rows.append(["AWS fixed cost per month", usd(cost["fixed_monthly"]["total"]), "", ""])
    return rows


def _calls(calls: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {name.split('.')[1]}" for name, count in sorted(calls.items()))


def render(results: Mapping[str, Any]) -> str:
    parts = [
        "# Benchmarks and cost model",
        "",
        f"Written by `make bench` (`python -m bench --runs {results['runs']}`) on "
        f"{results['generated']} in {results['seconds']} s, {results['machine']}; 1-minute "
        f"load average {results['load_at_start']} at the start, {results['load_at_end']} at the "
        "end (anything above 0 is other work sharing the cores). Every timing is the **median** "
        f"of {results['runs']} runs with the **range** of the runs in brackets (lowest to "
        "highest); "
        "ratios are taken run by run between two things measured side by side, then "
        "summarised the same way. The JSON twin is `bench/results.json`.",
        "",
        "## Summary",
        "",
        table(["measurement", "result", "goal", "status"], summary_rows(results)),
    ]
    for section in (_api, _cold, _units, _throughput, _cost):
        text = section(results)
        if text:
            parts += ["", text]
    parts += ["", _detection()]
    return "\n".join(parts) + "\n"


def _api(results: Mapping[str, Any]) -> str:
    api = results.get("api_overhead")
    if not api:
        return ""
    return "\n".join([
        "## 1. API handler overhead",
        "",
        f"process-transaction's `lambda_handler` on a POST without `transactionId` (one "
        f"`PutItem`), against a bare conditional `PutItem` of the same item on the same table "
        f"through the same client, both on moto in-process. A run is {api['calls_per_run']} "
        f"calls of each, back to back (alternating which goes first); the figures are per "
        f"call, over {api['runs']} runs.",
        "",
        table(["", "per call", "of which inside moto"], [
            ["process-transaction POST", measured(api["handler_ms"], "ms", 2),
             measured(api["handler_emulator_ms"], "ms", 2)],
            ["bare conditional PutItem", measured(api["bare_ms"], "ms", 2),
             measured(api["bare_emulator_ms"], "ms", 2)],
            ["handler's own overhead", measured(api["overhead_ms"], "ms", 2), ""],
            ["**ratio** (goal ≤ 1.5x)", f"**{ratio(api['ratio'])}**", ""],
        ]),
        "",
        "The overhead is Powertools' resolver, logger and metrics, the JSON schema and the "
        "checks a schema cannot state, and turning the item and the response into JSON. Against "
        "DynamoDB, whose `PutItem` answers a function in the same region in a few milliseconds, "
        "the same overhead is a smaller share than against moto in-process.",
    ])


_PHASES = {"startup": "interpreter start", "boto3": "import boto3",
           "clients": "boto3 session + clients", "imports": "other imports",
           "first_event": "first event", "waiting": "of which waiting for the emulator",
           "gc": "GC (all phases)"}


def _cold(results: Mapping[str, Any]) -> str:
    cold = results.get("cold_start")
    if not cold:
        return ""
    totals = [[row["program"], measured(row["total_ms"], "ms", 0), ratio(row["ratio"]),
               ratio(row["ratio_without_waiting"])]
              for row in cold["rows"]]
    phases = [[row["program"],
               *(f"{row['phases_ms'][phase]['median']:.0f}" for phase in _PHASES),
               row["clients"], row["first_event_calls"]]
              for row in cold["rows"]]
    return "\n".join([
        "## 2. Cold start",
        "",
        cold["method"],
        "",
        f"Time from spawning the interpreter to the first event's answer, {cold['runs']} "
        "rounds. The goal is a ratio of 1.5x at most; the ratio without the time spent waiting "
        "for the emulator's answers shows the handlers' own share.",
        "",
        table(["program", "to first answer", "ratio to baseline", "ratio without waiting"],
              totals),
        "",
        "Where the time goes (medians in ms; GC overlaps the other phases: the garbage "
        "collector's pauses during them):",
        "",
        table(["program", *_PHASES.values(), "clients", "first event's AWS calls"], phases),
        "",
        *cold["findings"],
    ])


def _units(results: Mapping[str, Any]) -> str:
    units = results.get("work_units")
    if not units:
        return ""
    rows = [[unit["name"], _calls(unit["calls"]), unit["promise"],
             "kept" if unit["kept"] else "**broken**", f"{unit['read_units']:g}",
             f"{unit['log_bytes']:,.0f}", measured(unit["duration_ms"], "ms", 1),
             measured(unit["own_ms"], "ms", 1)]
            for unit in units["units"]]
    sizes = units["item_sizes"]
    return "\n".join([
        "## 3. AWS calls per unit of work",
        "",
        "Each unit runs the real handler on moto in-process; calls are counted with botocore's "
        "`before-call` event on the handler's own clients (one metered invocation), read units "
        "from the pages DynamoDB returned, log bytes from what the handler printed (JSON logs "
        f"and EMF metrics). Durations: {units['runs']} runs (API units: "
        f"{units['units'][0]['invocations_per_run']} invocations per run, averaged); *own* "
        "is the duration minus the time spent inside moto, i.e. the handler's and botocore's "
        "work, which is what Lambda bills besides waiting on AWS.",
        "",
        table(["unit of work", "calls (counted)", "promise", "", "read units", "log bytes",
               "duration", "own"], rows),
        "",
        "Item sizes the cost model uses (DynamoDB's sizing rules, from the stored items): "
        + ", ".join(f"{name.removesuffix('_bytes').replace('_', ' ')} {value:,.0f} B"
                    for name, value in sizes.items()) + ".",
    ])


def _throughput(results: Mapping[str, Any]) -> str:
    rules = results.get("rules_throughput")
    local = results.get("local_pipeline")
    if not rules and not local:
        return ""
    parts = ["## 4. Throughput", ""]
    if rules:
        parts += [
            f"**Rules engine alone** (`common.rules.evaluate`, one core): "
            f"{measured(rules['records_per_second'], 'transactions/s', 0)} over {rules['runs']} "
            f"runs of {rules['records_per_run']:,} transactions on {rules['accounts']:,} accounts, "
            f"each scored against its 20 previous ones ({rules['flagged_share']:.1%} flagged).",
            ""]
    if local:
        pooled = local["verdict_pooled_ms"]
        parts += [
            "**Local pipeline** (the local mode as `make local` runs it, on free ports: the API "
            "from the OpenAPI document, the handlers behind Lambda-like workers, the emulator). "
            f"Each of {local['runs']} runs posts a fresh seeded workload of the demo's kind "
            f"(about {local['transactions_per_run']} transactions, with a few invalid requests "
            "and replays) from the demo's 4 client threads, and waits until every accepted "
            f"transaction has its verdict; {local['accepted']:,} transactions in all.",
            "",
            table(["", "per run (median and range)"], [
                ["taken in: first POST to last answer",
                 measured(local["taken_in_per_second"], "transactions/s", 1)],
                ["end to end: first POST to last verdict",
                 measured(local["end_to_end_per_second"], "transactions/s", 1)],
                ["last verdict after the last accepted answer",
                 measured(local["drain_ms"], "ms", 0)],
                ["POST → verdict, p50", measured(local["verdict_p50_ms"], "ms", 0)],
                ["POST → verdict, p95", measured(local["verdict_p95_ms"], "ms", 0)],
                ["API round trip, p50", measured(local["api_p50_ms"], "ms", 0)],
                ["API round trip, p95", measured(local["api_p95_ms"], "ms", 0)],
            ]),
            "",
            f"All {local['accepted']:,} verdicts pooled: POST → verdict p50 {pooled['p50']:,.0f} "
            f"ms, p95 {pooled['p95']:,.0f} ms, p99 {pooled['p99']:,.0f} ms.",
            "",
            "The rate is what the demo's 4 clients offered and the local API took in. The last "
            f"verdict came {local['drain_ms']['median']:,.0f} ms (median) after the last accepted "
            "answer: a pipeline falling behind would show seconds there, growing from run to "
            "run. One process serves the API and runs the workers and handlers, and every AWS "
            "call is an HTTP request to the emulator: the rate is this machine's, not AWS's. "
            "Most of the POST → verdict time is the stream mapping's batching window "
            "(`fraud:streamBatchWindowSeconds`, 1 s), as it is in AWS.",
        ]
    return "\n".join(parts)


def _cost(results: Mapping[str, Any]) -> str:
    cost = results.get("cost")
    if not cost:
        return ""
    facts = cost["facts"]

    def lines_table(section: Mapping[str, Any], heading: str) -> str:
        return table(["service", "item", heading, "unit price", "cost", "how"], [
            [line["service"], line["item"], f"{quantity(line['quantity'])} {line['unit']}",
             unit_price(line["unit_price"]), usd(line["cost"]), line["basis"]]
            for line in section["lines"]])

    def by_service(section: Mapping[str, Any]) -> str:
        return table(["service", "cost"], [
            *([service, usd(total)] for service, total in sorted(
                section["by_service"].items(), key=lambda entry: -entry[1])),
            ["**total**", f"**{usd(section['total'])}**"]])

    assumptions = cost["assumptions"]
    return "\n".join([
        "## 5. Cost model",
        "",
        f"AWS list prices in {REGION_NAME} ({REGION}): {LISTED}; {CHECK}. Free tiers are left "
        f"out. The platform as deployed by default: {facts['lambda_memory_mb']} MB functions, "
        f"{facts['az_count']} availability zones, stream batches of "
        f"{facts['stream_batch_size']}, logs kept {facts['log_retention_days']} days.",
        "",
        "### Per million transactions, rules only (`fraud:model` `none`)",
        "",
        by_service(cost["per_million"]),
        "",
        lines_table(cost["per_million"], "quantity per million"),
        "",
        "### Per million transactions, rules and model (`fraud:model` `default`)",
        "",
        "detect-fraud's batch and cold start measured with the model on: its entity-day "
        "queries (one per distinct account and merchant, a full window of 38 days each in "
        "the cost batch) in the reads, its longer batch and start-up in Lambda's duration.",
        "",
        by_service(cost["per_million_model"]),
        "",
        lines_table(cost["per_million_model"], "quantity per million"),
        "",
        "### Fixed, per month",
        "",
        by_service(cost["fixed_monthly"]),
        "",
        lines_table(cost["fixed_monthly"], "quantity per month"),
        "",
        "### Keeping a million transactions for a month",
        "",
        lines_table(cost["at_rest_per_million_month"], "quantity"),
        "",
        "### Assumptions (what the model does not measure)",
        "",
        table(["assumption", "value"], [
            ["share of suspicious transactions", f"{assumptions['suspicious_share']:.0%}"],
            ["GETs per transaction (the client reads its verdict)",
             f"{assumptions['gets_per_transaction']:g}"],
            ["transactions labelled (PUT /transactions/{id}/label)",
             f"{assumptions['labelled_share']:.0%} (each alert once); its duration and logs "
             "as a POST with a client id, which makes the same calls"],
            ["transactions per detect-fraud batch", f"{facts['stream_batch_size']} "
             "(fraud:streamBatchSize; full batches, i.e. sustained traffic), one account and "
             "one merchant each (the most entity-day reads and writes a batch can make)"],
            ["alerts per notify-team digest",
             "those of one stream batch (the measured digest's)"],
            ["cold starts", f"{assumptions['cold_start_share']:.1%} of invocations, start-up "
             "billed (Lambda bills the INIT phase of on-demand functions since 2025-08-01)"],
            ["CPU", f"a {facts['lambda_memory_mb']} MB function gets "
             f"{facts['lambda_memory_mb'] / 1769:.0%} of a vCPU (one vCPU at 1,769 MB): the "
             "own time measured here on one full core is scaled by "
             f"{max(1, 1769 / facts['lambda_memory_mb']):.2f}"],
            ["latency of each AWS call (in region, not measured)",
             ", ".join(f"{name.split('.')[1]} {ms:g} ms"
                       for name, ms in assumptions["latency_ms"].items())],
            ["Lambda's own log lines per invocation",
             f"{assumptions['platform_log_bytes_per_invocation']} B (START, END, REPORT)"],
            ["API Gateway access log per request",
             f"{facts['access_log_line_bytes']} B (the edge layer's format, typical values)"],
            ["SQS requests per digest by the event source mapping",
             f"{assumptions['sqs_requests_per_digest']} (receive, delete)"],
            ["idle polling of the alerts queue",
             f"{assumptions['idle_sqs_receives_per_month']:,} requests a month"],
            ["KMS requests for the services' cached data keys",
             f"{assumptions['kms_cached_key_requests_per_month']:,} a month"],
        ]),
        "",
        "### Prices used",
        "",
        table(["price", "USD", "per", "source", "note"], [
            [key, unit_price(p.usd), p.unit, p.page, p.note] for key, p in PRICES.items()]),
    ])


def _detection() -> str:
    rows = [[name, f"{auc:.3f}", f"{ap:.3f}", f"{cp:.3f}"]
            for name, auc, ap, cp in (*detection.MEASURED, *detection.HANDBOOK)]
    rows.append(["goal (issue 17)", *(f"≥ {value:.2f}" for value in detection.GOAL)])
    return "\n".join([
        "## 6. Detection quality (the backtest)", "",
        "`make backtest`, with and without the shipped model, on the default benchmark "
        "(the Handbook's protocol: a training week, a week of label delay, the test week "
        "2018-08-08 to 14; cards known compromised left out), and `make backtest-weeks` for "
        "the out-of-sample row. Not measured by `make bench` (minutes a run): copied from "
        "those runs into `bench/detection.py`.", "",
        table(["scorer", "AUC ROC", "average precision", "card precision@100"], rows), "",
        "What the model costs to serve (its entity-day queries, its cold start) is measured "
        "in sections 2, 3 and 5."])
