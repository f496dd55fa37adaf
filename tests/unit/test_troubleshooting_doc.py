"""docs/troubleshooting.md quotes real messages: each `quoted` message in its tables must still
be a string the code prints (a reworded message fails here until the page follows)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def printed_strings() -> list[str]:
    strings = []
    for folder in ("plugins", "engine"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    strings.append(node.value)
    return strings


def quoted_messages() -> list[str]:
    rows = [line for line in (REPO / "docs" / "troubleshooting.md").read_text().splitlines() if line.startswith("| `")]
    return [re.match(r"\| `([^`]+)`", row).group(1) for row in rows]


def test_every_message_the_page_quotes_is_printed_by_the_code():
    messages = quoted_messages()
    assert len(messages) >= 12
    strings = printed_strings()
    missing = [m for m in messages if not any(m in s for s in strings)]
    assert not missing, f"docs/troubleshooting.md quotes messages the code no longer prints: {missing}"
