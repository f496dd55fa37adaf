"""audit_log's masking: the corpus of tricky cases, and properties no case list can cover."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.dbaops.mysql_ha.plugins.module_utils.audit.mask import cn_id_ok, luhn_ok, mask

CORPUS = yaml.safe_load((Path(__file__).resolve().parents[1] / "fixtures" / "audit" / "masking_corpus.yaml").read_text())


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_the_corpus(case):
    assert mask(case["in"]) == case["out"]


def luhn_complete(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))


def cn_id_complete(body: str) -> str:
    return next(body + c for c in "0123456789X" if cn_id_ok(body + c))


words = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="'\"\\"), max_size=30)


@settings(max_examples=200)
@given(st.from_regex(r"4[0-9]{14}", fullmatch=True), words, words)
def test_a_luhn_valid_card_never_survives_wherever_it_is_quoted(prefix, before, after):
    card = luhn_complete(prefix)
    text = f"INSERT INTO t VALUES ('{before}', '{card}', '{after}')"
    assert card not in mask(text)


@settings(max_examples=200)
@given(st.dates(min_value=__import__("datetime").date(1930, 1, 1), max_value=__import__("datetime").date(2020, 12, 31)),
       st.from_regex(r"[1-6][0-9]{5}", fullmatch=True), st.from_regex(r"[0-9]{3}", fullmatch=True))
def test_a_valid_resident_id_never_survives(birth, area, serial):
    number = cn_id_complete(area + birth.strftime("%Y%m%d") + serial)
    assert number not in mask(f"UPDATE person SET id_no = '{number}' WHERE name = 'x'")


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_a_password_never_survives_and_masking_is_idempotent(password):
    escaped = password.replace("\\", "\\\\").replace("'", "\\'")
    statement = f"CREATE USER 'u'@'%' IDENTIFIED BY '{escaped}'"
    once = mask(statement)
    assert once == "CREATE USER 'u'@'%' IDENTIFIED BY '***'"
    assert mask(once) == once


SQL_PIECES = list("abcXY01 9'\"\\`,;=()@.-+_*/#\n") + [
    "IDENTIFIED", " BY ", "PASSWORD", "REPLACE", "4111111111111111", "13812345678", "a@b.cn",
    "11010519491231002X", "/*", "*/", "--", "_utf8mb4"]
sql_alphabet = st.sampled_from(SQL_PIECES)


@settings(max_examples=400)
@given(st.lists(sql_alphabet, max_size=30).map("".join))
def test_masking_any_sql_like_text_is_idempotent_and_never_raises(text):
    once = mask(text)
    assert mask(once) == once


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_masking_any_text_is_idempotent(text):
    once = mask(text)
    assert mask(once) == once


@settings(max_examples=200)
@given(st.from_regex(r"5[1-5][0-9]{13}", fullmatch=True), st.sampled_from([" ", "-", ""]), words)
def test_a_grouped_luhn_valid_card_never_survives_in_any_of_its_spellings(prefix, sep, before):
    card = luhn_complete(prefix)
    spelled = sep.join(card[i:i + 4] for i in range(0, 16, 4))
    masked = mask(f"UPDATE pay SET note = '{before}', card = '{spelled}'")
    assert spelled not in masked and card not in masked.replace(" ", "").replace("-", "")


@settings(max_examples=200)
@given(st.from_regex(r"[0-9]{15}", fullmatch=True))
def test_a_luhn_invalid_number_is_never_masked_as_a_card(prefix):
    number = next(prefix + d for d in "0123456789" if not luhn_ok(prefix + d))
    assert number in mask(f"SELECT * FROM orders WHERE no = {number}")


@settings(max_examples=200)
@given(st.integers(1, 899).filter(lambda a: a != 666), st.integers(1, 99), st.integers(1, 9999), words)
def test_a_valid_social_security_number_never_survives(area, group, serial, before):
    ssn = f"{area:03d}-{group:02d}-{serial:04d}"
    masked = mask(f"UPDATE emp SET note = '{before}', ssn = '{ssn}'")
    assert ssn not in masked


@settings(max_examples=200)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", " ", "-"]),
       st.sampled_from(["", "+86", "+86 ", "+86-"]), words)
def test_a_mainland_mobile_never_survives_in_any_of_its_spellings(number, sep, prefix, before):
    spelled = prefix + sep.join((number[:3], number[3:7], number[7:]))
    masked = mask(f"UPDATE c SET note = '{before}', phone = '{spelled}'")
    assert spelled not in masked and number not in masked.replace(" ", "").replace("-", "")


PASSWORD_SLOTS = [
    "CREATE USER 'u'@'%' IDENTIFIED BY {}",
    "ALTER USER u IDENTIFIED WITH caching_sha2_password BY {} REPLACE {}",
    "CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD({})",
    "SET PASSWORD FOR 'u'@'h' = PASSWORD({})",
    "SET PASSWORD = {}",
    "CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD={}, MASTER_PORT=3306",
    "CHANGE REPLICATION SOURCE TO SOURCE_PASSWORD = {}",
    "CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (USER 'r', PASSWORD {})",
    "START REPLICA USER='repl' PASSWORD={}",
    "GRANT ALL ON *.* TO u IDENTIFIED /* why */ BY {} WITH GRANT OPTION",
    "SET @repl_password = {}",
    "SELECT AES_ENCRYPT(c, {}) FROM t",
]


@settings(max_examples=400)
@given(st.sampled_from(PASSWORD_SLOTS), st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
       st.sampled_from(["'", '"']))
def test_a_planted_password_never_survives_in_any_password_slot(template, tail, quote):
    secret = "Zq9" + tail
    literal = quote + secret.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote
    counts: dict = {}
    masked = mask(template.format(literal, literal), counts)
    assert secret not in masked
    assert counts.get("password", 0) >= 1 or counts.get("redacted") == 1      # masked or redacted, never silent
