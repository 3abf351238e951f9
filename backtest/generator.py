"""The labelled benchmark: the Fraud Detection Handbook's simulated transactions, our own code.

Implemented from the description in chapter 3.2 of *Reproducible Machine Learning for Credit
Card Fraud Detection - Practical Handbook* (Le Borgne, Siblini, Lebichot, Bontempi),
https://fraud-detection-handbook.github.io/fraud-detection-handbook/Chapter_3_GettingStarted/SimulatedDataset.html
with the parameters of its benchmark dataset, vectorised with numpy:

- **customers**: a location on a 100 x 100 grid; a mean amount drawn from U(5, 100) and a
  standard deviation of half of it; a mean number of transactions per day from U(0, 4);
- **terminals**: a location on the grid;
- **customer → terminals**: each customer uses the terminals closer than ``radius`` (5);
- **transactions**: per customer and day, a Poisson number of them; each at a time of day drawn
  from N(12:00, 20,000 s), dropped when outside the day; an amount from the customer's normal
  distribution (a negative draw is redrawn from U(0, 2 x mean)), rounded to the cent; a
  terminal drawn uniformly from the customer's;
- **fraud**, in this order: (1) every amount over 220 is fraud; (2) each day two terminals are
  compromised and all their transactions of that day and the next 27 are fraud; (3) each day
  three customers are compromised and a third (rounded down) of their transactions of that day
  and the next 13 have their amount multiplied by 5 and are fraud.

Defaults: 5,000 customers, 10,000 terminals, 183 days from 2018-04-01, which the Handbook says
gives 1,754,155 transactions of which 0.84 % fraud; the same seed gives the same dataset.

How the simulation's transaction becomes ours (the API's fields, see :data:`COLUMNS`):

| ours | from |
|---|---|
| ``transactionId`` | ``tx-`` and the transaction's rank in time order, zero-padded |
| ``accountId`` | ``cust-`` and the customer number |
| ``merchantId`` | ``term-`` and the terminal number |
| ``amount`` | the amount, to the cent; at least :data:`MIN_CENTS` (see there) |
| ``currency`` | ``EUR``, always: the Handbook's amounts have no currency |
| ``merchantCategory`` | drawn once per terminal from :data:`MERCHANT_CATEGORIES` |
| ``timestamp`` | start of the day in UTC plus the time of day, in epoch milliseconds |
| ``country`` | :data:`COUNTRY`, always: one domestic market (see below) |
| ``channel`` | ``pos``, always: a terminal is a point of sale |
| ``fraud`` | 1 for the three scenarios, else 0 |

Nothing in the fraud scenarios depends on the category or the channel: they are there because
the rules read them (a high-risk category), and what a rule that reads them catches here is
noise, as on real traffic where most such hits are genuine. The country is one, not a map: the
Handbook's simulation has no country, and an earlier 3 x 3 map of countries over the grid made
every customer living near a border "jump" countries between two neighbouring terminals
(GEO_JUMP fired about 860 times a week on genuine traffic, an artefact of the map, not fraud).
"""

import csv
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
from common.transaction import CLIENT_FIELDS

COLUMNS = (*CLIENT_FIELDS, "fraud")
CURRENCY = "EUR"
CHANNEL = "pos"
GRID = 100.0
COUNTRY = "DE"  # one domestic market: the simulation has no geography beyond the grid
# (MCC, share of terminals). The last four are the default HIGH_RISK_MCC list: 2 % together.
MERCHANT_CATEGORIES = (
    ("5411", 0.25), ("5812", 0.15), ("5814", 0.10), ("5541", 0.10), ("5999", 0.08),
    ("5912", 0.07), ("5311", 0.06), ("5651", 0.06), ("4121", 0.04), ("5732", 0.04),
    ("7011", 0.03), ("7995", 0.005), ("6051", 0.005), ("4829", 0.005), ("5967", 0.005))
SCENARIO_1_AMOUNT_CENTS = 220_00
SCENARIO_2_TERMINALS_PER_DAY, SCENARIO_2_DAYS = 2, 28
SCENARIO_3_CUSTOMERS_PER_DAY, SCENARIO_3_DAYS, SCENARIO_3_FACTOR = 3, 14, 5
SECONDS_PER_DAY = 86_400
# The smallest amount, in cents: the simulation rounds some amounts to 0.00, which the API
# refuses; a cent is the API's smallest amount (its schema's minimum, 0.01).
MIN_CENTS = 1


@dataclass(frozen=True)
class Simulation:
    """The simulation's parameters; the defaults are the Handbook's benchmark dataset."""

    customers: int = 5_000
    terminals: int = 10_000
    days: int = 183
    start: date = date(2018, 4, 1)
    radius: float = 5.0
    seed: int = 0


@dataclass
class Transactions:
    """The generated transactions in time order, one array per field (row ``i`` is ``tx-i``)."""

    seconds: np.ndarray  # since the start of the first day
    customer: np.ndarray
    terminal: np.ndarray
    cents: np.ndarray  # the amount, in hundredths
    fraud: np.ndarray  # bool
    scenario: np.ndarray  # 0 genuine, else the first scenario of the list that made it fraud
    customer_xy: np.ndarray  # per customer: its location
    terminal_xy: np.ndarray  # per terminal: its location
    terminal_category: np.ndarray  # per terminal: an index into MERCHANT_CATEGORIES
    simulation: Simulation
    # Per day of the simulation: the terminals (scenario 2) and customers (scenario 3) it
    # compromised; filled by the scenarios.
    compromised_terminals: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), int))
    compromised_customers: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), int))

    def __len__(self) -> int:
        return len(self.seconds)

    @property
    def day(self) -> np.ndarray:
        return self.seconds // SECONDS_PER_DAY


def generate(simulation: Simulation = Simulation(),
             progress: Callable[[str], None] = lambda _message: None) -> Transactions:
    """Simulate ``simulation``: its customers, terminals, transactions and the three scenarios."""
    profiles_rng, terminals_rng, transactions_rng, fraud_rng = (
        np.random.Generator(np.random.PCG64(seed))
        for seed in np.random.SeedSequence(simulation.seed).spawn(4))
    n = simulation.customers
    customer_xy = profiles_rng.uniform(0, GRID, (n, 2))
    mean_cents = profiles_rng.uniform(5, 100, n) * 100
    daily_rate = profiles_rng.uniform(0, 4, n)
    terminal_xy = terminals_rng.uniform(0, GRID, (simulation.terminals, 2))
    shares = np.array([share for _, share in MERCHANT_CATEGORIES])
    terminal_category = terminals_rng.choice(len(shares), simulation.terminals, p=shares)
    progress(f"{n:,} customers and {simulation.terminals:,} terminals; "
             f"the terminals within {simulation.radius:g} of each customer")
    offsets, reachable = _terminals_within(customer_xy, terminal_xy, simulation.radius)

    progress(f"transactions over {simulation.days} days")
    counts = transactions_rng.poisson(np.repeat(daily_rate, simulation.days))
    customer = np.repeat(np.repeat(np.arange(n), simulation.days), counts)
    day = np.repeat(np.tile(np.arange(simulation.days), n), counts)
    time_of_day = np.trunc(transactions_rng.normal(SECONDS_PER_DAY / 2, 20_000, len(customer)))
    amount = transactions_rng.normal(mean_cents[customer], mean_cents[customer] / 2)
    negative = amount < 0
    amount[negative] = transactions_rng.uniform(0, 2 * mean_cents[customer[negative]])
    draw = transactions_rng.random(len(customer))
    usable = offsets[customer + 1] - offsets[customer]
    keep = (time_of_day > 0) & (time_of_day < SECONDS_PER_DAY) & (usable > 0)
    customer, day, time_of_day, amount, draw, usable = (
        column[keep] for column in (customer, day, time_of_day, amount, draw, usable))
    terminal = reachable[offsets[customer] + (draw * usable).astype(np.int64)]
    seconds = day * SECONDS_PER_DAY + time_of_day.astype(np.int64)
    order = np.lexsort((customer, seconds))  # time order; a tie in time by customer
    transactions = Transactions(
        seconds=seconds[order], customer=customer[order], terminal=terminal[order],
        cents=np.maximum(np.rint(amount[order]), MIN_CENTS).astype(np.int64),
        fraud=np.zeros(len(order), dtype=bool), scenario=np.zeros(len(order), dtype=np.int8),
        customer_xy=customer_xy, terminal_xy=terminal_xy, terminal_category=terminal_category,
        simulation=simulation)
    progress(f"{len(transactions):,} transactions; the three fraud scenarios")
    _add_frauds(transactions, fraud_rng)
    return transactions


def _terminals_within(customer_xy: np.ndarray, terminal_xy: np.ndarray, radius: float,
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's terminals closer than ``radius``: ``reachable[offsets[c]:offsets[c+1]]``."""
    found: list[np.ndarray] = []
    chunk = max(1, 4_000_000 // max(len(terminal_xy), 1))  # bounds the distance matrix
    for start in range(0, len(customer_xy), chunk):
        block = customer_xy[start:start + chunk]
        squared = ((block[:, None, :] - terminal_xy[None, :, :]) ** 2).sum(axis=2)
        found += [np.flatnonzero(row) for row in squared < radius ** 2]
    offsets = np.zeros(len(customer_xy) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(terminals) for terminals in found])
    return offsets, np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _add_frauds(transactions: Transactions, rng: np.random.Generator) -> None:
    """The Handbook's three scenarios, in its order (scenario 3 also rewrites amounts)."""
    simulation = transactions.simulation
    days = simulation.days
    day = transactions.day
    fraud, scenario = transactions.fraud, transactions.scenario

    over = transactions.cents > SCENARIO_1_AMOUNT_CENTS
    fraud[over], scenario[over] = True, 1

    transactions.compromised_terminals = np.array([
        rng.choice(simulation.terminals, SCENARIO_2_TERMINALS_PER_DAY, replace=False)
        for _ in range(days)])
    compromised = np.zeros((simulation.terminals, days), dtype=bool)
    for start, terminals in enumerate(transactions.compromised_terminals):
        compromised[terminals, start:start + SCENARIO_2_DAYS] = True
    at_compromised = compromised[transactions.terminal, day]
    fraud[at_compromised], scenario[at_compromised] = True, 2

    # Each customer's transactions, in time order, as a slice of ``by_customer``.
    by_customer = np.argsort(transactions.customer, kind="stable")
    bounds = np.searchsorted(transactions.customer[by_customer],
                             np.arange(simulation.customers + 1))
    transactions.compromised_customers = np.zeros((days, SCENARIO_3_CUSTOMERS_PER_DAY), int)
    for start in range(days):
        customers = rng.choice(simulation.customers, SCENARIO_3_CUSTOMERS_PER_DAY,
                               replace=False)
        transactions.compromised_customers[start] = customers
        window = []
        for customer in customers:
            rows = by_customer[bounds[customer]:bounds[customer + 1]]
            first, end = np.searchsorted(day[rows], [start, start + SCENARIO_3_DAYS])
            window.append(rows[first:end])
        candidates = np.concatenate(window)
        chosen = rng.choice(candidates, len(candidates) // 3, replace=False)
        transactions.cents[chosen] *= SCENARIO_3_FACTOR
        fraud[chosen], scenario[chosen] = True, 3


def write_csv(transactions: Transactions, path: Path,
              progress: Callable[[int, int], None] = lambda _done, _total: None) -> None:
    """Write the dataset as the backtest reads it; a file is either whole or not there."""
    simulation = transactions.simulation
    start = int(datetime.combine(simulation.start, datetime.min.time(), UTC).timestamp())
    timestamps = ((start + transactions.seconds) * 1000).tolist()
    width = len(str(max(len(transactions) - 1, 0)))
    accounts = [f"cust-{n:0{len(str(simulation.customers - 1))}d}"
                for n in range(simulation.customers)]
    merchants = [f"term-{n:0{len(str(simulation.terminals - 1))}d}"
                 for n in range(simulation.terminals)]
    categories = [MERCHANT_CATEGORIES[n][0] for n in transactions.terminal_category]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with temporary.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS)
            step = 100_000
            for first in range(0, len(transactions), step):
                rows = range(first, min(first + step, len(transactions)))
                writer.writerows(
                    (f"tx-{i:0{width}d}", accounts[customer], f"{cents // 100}.{cents % 100:02d}",
                     CURRENCY, merchants[terminal], categories[terminal], timestamps[i],
                     COUNTRY, CHANNEL, int(fraud))
                    for i, customer, terminal, cents, fraud in zip(
                        rows, transactions.customer[first:rows.stop].tolist(),
                        transactions.terminal[first:rows.stop].tolist(),
                        transactions.cents[first:rows.stop].tolist(),
                        transactions.fraud[first:rows.stop].tolist(), strict=True))
                progress(rows.stop, len(transactions))
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
