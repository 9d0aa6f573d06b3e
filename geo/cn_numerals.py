"""Chinese numerals as they occur in addresses: 一百零五 → 105, 三零二 → 302, 9 → 九 (条).

Pure string functions; no knowledge of any register.
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}  # fmt: skip
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
NUMERAL_CHARS = "".join(_DIGITS) + "".join(_UNITS)
_NUMERAL = re.compile(f"[{NUMERAL_CHARS}]+")
_ORDINAL_DIGITS = "零一二三四五六七八九"


def chinese_to_int(text: str) -> int:
    """The value of a Chinese numeral, positional (一百零五) or read digit by digit (三零二).

    >>> chinese_to_int("一百零五"), chinese_to_int("十二"), chinese_to_int("三零二")
    (105, 12, 302)
    """
    if not text or not _NUMERAL.fullmatch(text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if not any(ch in _UNITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
            continue
        unit = _UNITS[ch]
        if unit == 10_000:
            total += (section + (digit or 0)) * unit
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * unit
            digit = None
    return total + section + (digit or 0)


def int_to_ordinal(value: int) -> str:
    """The Chinese ordinal used in alley names (头条, 二条 … 九十九条); 1 is 头.

    >>> int_to_ordinal(1), int_to_ordinal(9), int_to_ordinal(14), int_to_ordinal(20)
    ('头', '九', '十四', '二十')
    """
    if not 1 <= value <= 99:
        raise ValueError(f"no alley ordinal for {value}")
    if value == 1:
        return "头"
    tens, ones = divmod(value, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _ORDINAL_DIGITS[tens] + "十")
    return head + ("" if ones == 0 else _ORDINAL_DIGITS[ones])


def arabic_before(text: str, *, markers: str) -> str:
    """Chinese numerals followed by one of the ``markers`` (a regex alternation) as digits.

    >>> arabic_before("西铁营村三组十五号", markers="号|组")
    '西铁营村3组15号'
    """
    pattern = re.compile(f"(?<![{NUMERAL_CHARS}])([{NUMERAL_CHARS}]+)(?={markers})")
    return pattern.sub(lambda m: str(chinese_to_int(m.group(1))), text)


def arabic_after(text: str, *, markers: str) -> str:
    """Chinese numerals right after one of the ``markers`` (a regex alternation) as digits.

    >>> arabic_after("12号之一", markers="之")
    '12号之1'
    """
    pattern = re.compile(f"(?<=(?:{markers}))([{NUMERAL_CHARS}]+)")
    return pattern.sub(lambda m: str(chinese_to_int(m.group(1))), text)
