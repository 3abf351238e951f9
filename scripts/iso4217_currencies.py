"""Write functions/common/currencies.json, the currencies process-transaction accepts.

    .venv/bin/python scripts/iso4217_currencies.py           # rewrite the file
    .venv/bin/python scripts/iso4217_currencies.py --check   # exit 1 if it is out of date

The source is ISO 4217 list one as its maintenance agency (SIX) publishes it, shipped whole
(``table.xml``) by the PyPI package ``iso4217``, pinned in pyproject.toml as a development
dependency only: the Lambda package reads the JSON this writes and depends on nothing new. A
new ISO publication is a new release of the package: bump the pin, run this, commit the file
(``tests/functions/test_currencies.py`` fails until then).

Kept: every currency whose minor unit is a number. Left out: funds codes (``IsFund``: BOV,
CHE, CLF, ...), which settle no payment, and the codes whose minor unit is "N.A." (precious
metals, SDR, the testing code XTS, XXX for "no currency").
"""

import json
import sys
from pathlib import Path

import iso4217
from generated_file import write_or_check

TARGET = Path(__file__).resolve().parent.parent / "functions" / "common" / "currencies.json"


def currency_document() -> dict:
    minor_units: dict[str, int] = {}
    for entry in iso4217.raw_xml.findall("CcyTbl/CcyNtry"):
        code, units = entry.findtext("Ccy"), entry.findtext("CcyMnrUnts")
        if code and units and units.isdigit() and entry.find("CcyNm").get("IsFund") != "true":
            minor_units[code.strip()] = int(units)
    published = iso4217.__published__.isoformat()
    return {
        "description": "ISO 4217 list one: active currencies and their minor units (decimal "
                       "places), without funds codes and codes that have no minor unit.",
        "source": f"ISO 4217 list one published {published} by SIX (the ISO 4217 maintenance "
                  f"agency), as shipped by the PyPI package iso4217 {iso4217.__version__}",
        "published": published,
        "generatedBy": "scripts/iso4217_currencies.py",
        "minorUnits": dict(sorted(minor_units.items())),
    }


def render() -> str:
    return json.dumps(currency_document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    text = render()
    return write_or_check(argv, __doc__.splitlines()[0], TARGET, text, __file__,
                          f"{len(json.loads(text)['minorUnits'])} currencies")


if __name__ == "__main__":
    sys.exit(main())
