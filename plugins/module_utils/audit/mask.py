# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sensitive literals in SQL text, masked: what an exported audit log may not carry.

* passwords: the literal after ``IDENTIFIED BY``/``AS`` (``IDENTIFIED WITH plugin BY``),
  in ``PASSWORD('...')``, ``SET PASSWORD ... = '...'``, ``MASTER_PASSWORD = '...'`` and
  ``OPTIONS (PASSWORD '...')`` -> ``'***'``;
* card numbers: 13 to 19 digits, spaces or dashes between them, that pass the Luhn check
  -> ``<card>`` (an order number that fails it is left alone);
* Chinese resident identity numbers: 17 digits and a check character (ISO 7064 MOD 11-2)
  with a plausible birth date -> ``<id>``;
* mobile numbers: mainland China ``1[3-9]`` + 9 digits, and ``+`` international numbers of
  8 to 15 digits -> ``<phone>``;
* e-mail addresses -> ``<email>``.

Never nothing, silently: a statement that names a password (``IDENTIFIED``, ``PASSWORD``)
whose literal the patterns cannot find is replaced whole by ``<redacted: ...>``.
Digits inside identifiers, GTIDs (``0-1-123``), UUIDs, IP addresses and longer digit runs
are not touched: a number is only masked when no digit or letter touches it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

__all__ = ["KINDS", "mask", "luhn_ok", "cn_id_ok"]

KINDS = ("password", "card", "id", "phone", "email", "redacted")
_LITERAL = r"(?:'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\")"
_PASSWORD = re.compile(
    r"(?P<head>\bIDENTIFIED\s+(?:(?:WITH|VIA)\s+[`'\"]?\w+[`'\"]?\s+)?(?:BY|AS|USING)\s+(?:PASSWORD\s*\(\s*)?"
    r"|\bPASSWORD\s*\(\s*"
    r"|\bSET\s+PASSWORD\b[^=;]*=\s*(?:PASSWORD\s*\(\s*)?"
    r"|\b(?:MASTER|SOURCE)_PASSWORD\s*=\s*"
    r"|\bPASSWORD\s+(?=['\"]))"
    r"(?P<literal>" + _LITERAL + r")", re.IGNORECASE | re.DOTALL)
_NAMES_A_PASSWORD = re.compile(r"\bIDENTIFIED\b|\bPASSWORD\b", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[^\W_][\w-]{0,62}(?:\.[^\W_][\w-]{0,62})+(?![\w-])", re.UNICODE)
# Not inside a hex or bit literal (X'...', B'...'): those are bytes, not numbers a person wrote.
_CARD = re.compile(r"(?<![\w.-])(?<![xXbB]')\d(?:[ -]?\d){12,18}(?![\w.-])")
_CN_ID = re.compile(r"(?<![\w.-])(?<![xXbB]')\d{17}[\dXx](?![\w.-])")
_PHONE = re.compile(r"(?<![\w.+-])(?:\+\d{8,15}|\+86[ -]?1[3-9]\d{9}|1[3-9]\d{9})(?![\w.-])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def luhn_ok(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def cn_id_ok(text):
    """An 18-character resident identity number: a birth date that exists and the MOD 11-2 check."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    year, month, day = int(text[6:10]), int(text[10:12]), int(text[12:14])
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    check = _ID_CHECK[sum(int(c) * w for c, w in zip(text[:17], _ID_WEIGHTS)) % 11]
    return text[17].upper() == check


def mask(text, counts=None):
    """``text`` with every sensitive literal masked; ``counts`` (kind -> n) is updated."""
    counts = counts if counts is not None else {}

    def count(kind):
        counts[kind] = counts.get(kind, 0) + 1

    def password(match):
        count("password")
        return match.group("head") + "'***'"

    masked = _PASSWORD.sub(password, text)
    if _NAMES_A_PASSWORD.search(masked) and _has_literal_after_keyword(masked):
        count("redacted")
        return "<redacted: a statement naming a password whose literal could not be located>"

    def email(match):
        count("email")
        return "<email>"

    masked = _EMAIL.sub(email, masked)

    def cn_id(match):
        if not cn_id_ok(match.group(0)):
            return match.group(0)
        count("id")
        return "<id>"

    masked = _CN_ID.sub(cn_id, masked)

    def card(match):
        digits = re.sub(r"[ -]", "", match.group(0))
        if not luhn_ok(digits):
            return match.group(0)
        count("card")
        return "<card>"

    masked = _CARD.sub(card, masked)

    def phone(match):
        count("phone")
        return "<phone>"

    return _PHONE.sub(phone, masked)


_SECRET_SLOTS = (
    re.compile(r"\bIDENTIFIED\s+(?:(?:WITH|VIA)\s+[`'\"]?\w+[`'\"]?\s+)?(?:BY|AS|USING)\s+(?:PASSWORD\b\s*\(?\s*)?(?P<v>\S*)",
               re.IGNORECASE),
    re.compile(r"\bSET\s+PASSWORD\b[^=;]*=\s*(?:PASSWORD\s*\(\s*)?(?P<v>\S*)", re.IGNORECASE),
    re.compile(r"\b(?:\w+_)?PASSWORD\s*(?:=\s*|\(\s*|(?=['\"]))(?P<v>\S*)", re.IGNORECASE),
)
_MASKED = ("'***'", "*****")


def _has_literal_after_keyword(text):
    """A secret may still be there: a password slot (after IDENTIFIED BY, SET PASSWORD =,
    PASSWORD(, PASSWORD =) holds something other than a masked value ('***', or the
    server's own *****)."""
    for slot in _SECRET_SLOTS:
        for match in slot.finditer(text):
            value = match.group("v")
            if value and not value.startswith(_MASKED) and not value.lower().startswith("password"):
                return True
    return False
