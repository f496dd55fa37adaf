# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dbaops
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sensitive literals in SQL text, masked: what an exported audit log may not carry.

* passwords: the literal after ``IDENTIFIED BY``/``AS``/``USING`` (``IDENTIFIED WITH plugin
  BY``, MariaDB's ``VIA plugin USING ... OR plugin USING ...``), in ``PASSWORD('...')``,
  ``SET PASSWORD ... = '...'``, ``MASTER_PASSWORD = '...'`` (any ``..._PASSWORD =``,
  ``PASSWORD = '...'``, a user variable ``@..._password = '...'``), ``OPTIONS (PASSWORD
  '...')``, MySQL's ``REPLACE 'current'`` and every string in a call of ``AES_ENCRYPT``,
  ``AES_DECRYPT``, ``DES_ENCRYPT``, ``DES_DECRYPT``, ``ENCODE``, ``DECODE``, ``ENCRYPT`` (a key)
  -> ``'***'``;
* card numbers: 13 to 19 digits, spaces or dashes between them, that pass the Luhn check
  -> ``<card>`` (an order number that fails it is left alone);
* Chinese resident identity numbers: 17 digits and a check character (ISO 7064 MOD 11-2)
  with a plausible birth date, and US Social Security numbers written ``AAA-GG-SSSS`` (no
  area 000, 666 or 9xx, group 00 or serial 0000) -> ``<id>``;
* mobile numbers: mainland China ``1[3-9]`` + 9 digits (``138 1234 5678``, ``138-1234-5678``
  too), and ``+`` international numbers of 8 to 15 digits, single spaces or dashes between
  groups allowed (E.164 as people write it) -> ``<phone>``;
* e-mail addresses -> ``<email>``.

Passwords are found on tokens (strings, quoted identifiers, comments, words), not on raw
text, so a comment between ``IDENTIFIED`` and ``BY``, a charset introducer
(``_utf8mb4'...'``), doubled or escaped quotes do not hide a literal.

Never nothing, silently: a statement where a password slot holds something that is not a
string literal (or an already masked value: ``'***'``, the server's ``*****``, ``RANDOM
PASSWORD``), where ``IDENTIFIED`` is followed by anything the grammar does not allow, where a
string is left open, or whose string literal carries ``IDENTIFIED``/``PASSWORD`` (dynamic
SQL) is replaced whole by ``<redacted: ...>`` and counted.
Digits inside identifiers, GTIDs (``0-1-123``), UUIDs, IP addresses and longer digit runs
are not touched: a number is only masked when no digit or letter touches it.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

__all__ = ["KINDS", "REDACTED", "mask", "luhn_ok", "cn_id_ok"]

KINDS = ("password", "card", "id", "phone", "email")
REDACTED = "<redacted: a statement naming a password whose literal could not be located>"
MASKED_PASSWORD = "'***'"

_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    r"|(?P<comment>/\*.*?\*/|(?:--(?=\s|$)|\#)[^\n]*)"
    r"|(?P<string>(?:_[A-Za-z0-9]+\s*|[Nn](?=['\"]))?(?:'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"))"
    r"|(?P<open>/\*|['\"`])"
    r"|(?P<ident>`(?:[^`]|``)*`)"
    r"|(?P<stars>\*+)"
    r"|(?P<word>[@$\w]+)"
    r"|(?P<other>.)", re.DOTALL)
_DYNAMIC = re.compile(r"\bIDENTIFIED\b|\bPASSWORD\s*[(='\"]", re.IGNORECASE)
_SLOT_KEYWORDS = ("BY", "AS", "USING")
_NOT_SECRET_VALUES = ("NULL", "DEFAULT", "?")
# Functions whose arguments carry a key (and the text it protects): every string in the call.
_KEY_FUNCTIONS = ("AES_ENCRYPT", "AES_DECRYPT", "DES_ENCRYPT", "DES_DECRYPT", "ENCODE", "DECODE", "ENCRYPT")


class _Unlocated(Exception):
    """A password slot the masker cannot read."""


def _tokens(text):
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "open":                      # an unclosed string, identifier or comment
            out.append(("open", text[match.start():]))
            break
        out.append((kind, match.group(0)))
    return out


class _Statement(object):
    """The significant tokens (no spaces, no comments) of one statement, by position."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.sig = [i for i, (kind, _text) in enumerate(tokens) if kind not in ("ws", "comment")]
        self.secret = set()                     # indexes into tokens of literals to mask

    def kind(self, j):
        return self.tokens[self.sig[j]][0] if 0 <= j < len(self.sig) else None

    def text(self, j):
        return self.tokens[self.sig[j]][1] if 0 <= j < len(self.sig) else None

    def word(self, j):
        return self.text(j).upper() if self.kind(j) == "word" else None

    def value(self, j):
        """The slot at ``j`` holds a password: mark its literal, or raise _Unlocated."""
        kind, word = self.kind(j), self.word(j)
        if kind == "string":
            self.secret.add(self.sig[j])
        elif kind == "stars" or word in _NOT_SECRET_VALUES or self.text(j) == "?":
            return
        elif word == "RANDOM" and self.word(j + 1) == "PASSWORD":
            return
        elif word == "PASSWORD" and self.kind(j + 1) == "string":      # BY PASSWORD '*hash'
            self.secret.add(self.sig[j + 1])
        elif kind == "word" and self.text(j + 1) == "(":                 # PASSWORD('x'), MD5('x')
            self.call(j + 1)
        elif kind == "word" and self.text(j).startswith("@"):           # a user variable
            return
        else:
            raise _Unlocated()

    def call(self, j):
        """Every string inside the parentheses opening at ``j``."""
        depth = 0
        for k in range(j, len(self.sig)):
            if self.text(k) == "(":
                depth += 1
            elif self.text(k) == ")":
                depth -= 1
                if depth == 0:
                    return
            elif self.kind(k) == "string":
                self.secret.add(self.sig[k])
        raise _Unlocated()

    def plugin_slot(self, j):
        """After ``WITH``/``VIA``/``OR``: ``plugin [BY|AS|USING value]``."""
        if self.kind(j) not in ("word", "string", "ident"):
            raise _Unlocated()
        if self.word(j + 1) in _SLOT_KEYWORDS:
            self.value(j + 2)

    def identified(self, j):
        nxt = self.word(j + 1)
        if nxt in ("WITH", "VIA"):
            self.plugin_slot(j + 2)
        elif nxt == "BY":
            self.value(j + 2)
        else:
            raise _Unlocated()

    def find_secrets(self):
        names_identified = any(self.word(j) == "IDENTIFIED" for j in range(len(self.sig)))
        names_password = names_identified or any(
            (self.word(j) or "").endswith("PASSWORD") for j in range(len(self.sig)))
        for j in range(len(self.sig)):
            word = self.word(j)
            if word is None:
                continue
            after = self.text(j + 1)
            if word == "IDENTIFIED":
                self.identified(j)
            elif word == "OR" and names_identified and self.word(j + 2) in _SLOT_KEYWORDS:
                self.plugin_slot(j + 1)                      # VIA a USING 'x' OR b USING 'y'
            elif word == "PASSWORD" and after == "(":
                self.call(j + 1)
            elif (word == "PASSWORD" or word.endswith("_PASSWORD")) and after == "=" and self.word(j - 1) != "SET":
                self.value(j + 2)
            elif word == "PASSWORD" and self.kind(j + 1) == "string" and self.word(j - 1) != "BY":
                self.secret.add(self.sig[j + 1])             # OPTIONS (PASSWORD 'x')
            elif word == "SET" and self.word(j + 1) == "PASSWORD":
                self.set_password(j + 2)
            elif word == "REPLACE" and names_password and self.kind(j + 1) == "string":
                self.secret.add(self.sig[j + 1])             # ALTER USER ... REPLACE 'current'
            elif word in _KEY_FUNCTIONS and after == "(":
                self.call(j + 1)                             # AES_ENCRYPT(x, 'key')
            elif word.startswith("@") and _names_a_password(word):
                if after == "=":                             # SET @repl_password = 'x'
                    self.value(j + 2)
                elif after == ":" and self.text(j + 2) == "=":
                    self.value(j + 3)

    def set_password(self, j):
        """``SET PASSWORD [FOR user] = value``: the value after the first ``=``."""
        for k in range(j, len(self.sig)):
            if self.text(k) == "=":
                self.value(k + 1)
                return
            if self.text(k) == ";":
                break
        raise _Unlocated()


def _names_a_password(word):
    word = word.upper().lstrip("@")
    return word in ("IDENTIFIED", "PASSWORD") or word.endswith("_PASSWORD") or word in _KEY_FUNCTIONS


def _mask_passwords(text, counts):
    """``text`` with password literals masked, or None when a slot cannot be read."""
    tokens = _tokens(text)
    if not any(kind == "word" and _names_a_password(value) for kind, value in tokens):
        dynamic = any(kind in ("string", "open") and _DYNAMIC.search(value) for kind, value in tokens)
        return None if dynamic else text
    if any(kind == "open" for kind, _value in tokens):
        return None
    if any(kind == "string" and _DYNAMIC.search(value) for kind, value in tokens):
        return None
    statement = _Statement(tokens)
    try:
        statement.find_secrets()
    except _Unlocated:
        return None
    out = []
    for index, (_kind, value) in enumerate(tokens):
        if index in statement.secret:
            if value != MASKED_PASSWORD:
                counts["password"] = counts.get("password", 0) + 1
            out.append(MASKED_PASSWORD)
        else:
            out.append(value)
    return "".join(out)


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[^\W_][\w-]{0,62}(?:\.[^\W_][\w-]{0,62})+(?![\w-])", re.UNICODE)
# Not inside a hex or bit literal (X'...', B'...'): those are bytes, not numbers a person wrote.
_CARD = re.compile(r"(?<![\w.-])(?<![xXbB]')\d(?:[ -]?\d){12,18}(?![\w.-])")
_CN_ID = re.compile(r"(?<![\w.-])(?<![xXbB]')\d{17}[\dXx](?![\w.-])")
# E.164: + and 8 to 15 digits, single spaces or dashes between groups (+86 139 1234 5678,
# +1-415-555-2671); a mainland mobile alone, grouped 3-4-4 or not.
_PHONE = re.compile(r"(?<![\w.+-])(?:\+\d(?:[ -]?\d){7,14}|1[3-9]\d(?:[ -]?\d{4}){2})(?![\w.-])")
# A US Social Security number as written, AAA-GG-SSSS: never area 000, 666 or 9xx, group 00, serial 0000.
_SSN = re.compile(r"(?<![\w.-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w.-])")
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
    """``text`` with every sensitive literal masked; ``counts`` (kind -> n, and
    ``redacted``) is updated."""
    counts = counts if counts is not None else {}

    def count(kind):
        counts[kind] = counts.get(kind, 0) + 1

    masked = _mask_passwords(text, counts)
    if masked is None:
        count("redacted")
        return REDACTED
    # Until nothing changes: a literal masked can free its neighbour (13812345678+4915123456789),
    # and a second pass must find nothing the first one left.
    for _round in range(8):
        again = _mask_personal(masked, count)
        if again == masked:
            break
        masked = again
    return masked


def _card_ok(text):
    return luhn_ok(re.sub(r"[ -]", "", text))


# (pattern, kind counted, placeholder, check a match must pass), in the order they run.
_PERSONAL = (
    (_EMAIL, "email", "<email>", None),
    (_CN_ID, "id", "<id>", cn_id_ok),
    (_SSN, "id", "<id>", None),
    (_CARD, "card", "<card>", _card_ok),
    (_PHONE, "phone", "<phone>", None),
)


def _mask_personal(masked, count):
    """One pass over e-mails, resident ID and social security numbers, cards and phone numbers."""
    for pattern, kind, placeholder, check in _PERSONAL:
        def replace(match, kind=kind, placeholder=placeholder, check=check):
            if check is not None and not check(match.group(0)):
                return match.group(0)
            count(kind)
            return placeholder

        masked = pattern.sub(replace, masked)
    return masked
