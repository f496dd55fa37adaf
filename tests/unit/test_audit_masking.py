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
