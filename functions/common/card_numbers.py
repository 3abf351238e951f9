"""Payment card numbers (PANs) hidden in free text, so that none is ever stored.

A PAN is 13 to 19 digits passing the Luhn check. People and systems write it grouped
(``4111 1111 1111 1111``, ``4111-1111-1111-1111``, ``4111.1111…``, ``4111_1111…``) and glue
it to other text (``acct-4111111111111111``), so a field is searched, not matched: its digit
groups joined by nothing but spaces, dashes, dots and underscores form chains, and every run
of consecutive groups in a chain whose digits number 13 to 19 is checked. A group is never cut
(a 22-digit reference is not 4 overlapping card numbers), and any script's decimal digits
count (a card number in full-width digits is still one).

A UUID (8-4-4-4-12 hex digits, the layout of the ids the server makes and of most client ids)
is an identifier, never a card number: its digit groups joined by dashes pass the Luhn check
for about 1 UUID in 350 (``8c820c72-8711-4899-8724-…`` holds ``72 8711 4899 8724``), so each
UUID in a text is set aside before the search; a card number beside one is still found.

Callers say which field held one and never show the value: not in a response, not in a log.
"""

import re
import unicodedata

SEPARATORS = frozenset(" -._")
_UUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")
_UUID_STAND_IN = "#"  # neither a digit nor a separator: the text on either side stays apart
PAN_LENGTHS = range(13, 20)


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of ASCII digits."""
    total = 0
    for position, digit in enumerate(int(ch) for ch in reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _chains(text: str) -> list[list[str]]:
    """The digit groups of ``text`` (as ASCII digits), in chains joined only by separators."""
    chains: list[list[str]] = []
    group: list[str] = []
    joined = False  # only separators since the last group ended
    for char in text:
        if char.isdecimal():
            if not group and not joined:
                chains.append([])
            group.append(str(unicodedata.decimal(char)))
            continue
        if group:
            chains[-1].append("".join(group))
            group = []
            joined = True
        if char not in SEPARATORS:
            joined = False
    if group:
        chains[-1].append("".join(group))
    return chains


def contains_card_number(text: str) -> bool:
    """Whether ``text`` holds a card number, however grouped and wherever in the text."""
    for chain in _chains(_UUID.sub(_UUID_STAND_IN, text)):
        for first in range(len(chain)):
            digits = ""
            for group in chain[first:]:
                digits += group
                if len(digits) > PAN_LENGTHS.stop - 1:
                    break
                if len(digits) in PAN_LENGTHS and luhn_valid(digits):
                    return True
    return False
