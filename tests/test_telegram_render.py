"""Rendering replies for Telegram: escaping, titles, keyboards and splitting (no network)."""

from __future__ import annotations

import html

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.render import MESSAGE_LIMIT, escape, render, split_text, units
from handlers.kernel.messages import Reply, buttons


def test_text_and_title_are_escaped_and_title_is_bold() -> None:
    [part] = render(Reply("<b>x</b> & <script>", title="R&D <fund>"))
    assert part.html == "<b>R&amp;D &lt;fund&gt;</b>\n\n&lt;b&gt;x&lt;/b&gt; &amp; &lt;script&gt;"
    assert part.keyboard is None


def test_keyboard_rows_keep_labels_and_data() -> None:
    [part] = render(Reply("Pick", buttons([("A <1>", "a:1"), ("B", "b:")], [("C", "c:")])))
    rows = part.keyboard.inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [
        [("A <1>", "a:1"), ("B", "b:")], [("C", "c:")]]


def test_long_reply_splits_at_line_ends_with_keyboard_on_last_part() -> None:
    lines = [f"line {i:04d} " + "word " * 30 for i in range(120)]
    parts = render(Reply("\n".join(lines), buttons([("Next", "n:")]), title="Long"))
    assert len(parts) > 1
    assert all(units(p.html) <= MESSAGE_LIMIT for p in parts)
    assert [p.keyboard is not None for p in parts] == [False] * (len(parts) - 1) + [True]
    assert parts[0].html.startswith("<b>Long</b>\n\n")
    body = "\n".join(p.html for p in parts).removeprefix("<b>Long</b>\n\n")
    assert body == "\n".join(lines)  # every line whole, in order, none lost


def test_entities_are_never_cut() -> None:
    text = "&" * 5000  # 25,000 characters once escaped, no line breaks, no spaces
    chunks = split_text(text)
    assert all(units(c) <= MESSAGE_LIMIT for c in chunks)
    assert "".join(chunks) == escape(text)
    assert all(c.startswith("&amp;") and c.endswith("&amp;") for c in chunks)


def test_emoji_count_as_two_units() -> None:
    text = "\U0001f600" * 3000  # 3,000 characters but 6,000 UTF-16 units
    chunks = split_text(text)
    assert len(chunks) == 2 and all(units(c) <= MESSAGE_LIMIT for c in chunks)


def test_empty_text_sends_nothing() -> None:
    assert render(Reply("")) == []
    assert render(Reply("\n\n")) == []


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab &<>\n\U0001f600"), max_size=3000),
       st.integers(min_value=8, max_value=200))
def test_split_loses_nothing_but_line_breaks(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(units(c) <= limit for c in chunks)
    assert all(c.strip() for c in chunks)
    joined = html.unescape("".join(chunks))
    assert joined.replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
