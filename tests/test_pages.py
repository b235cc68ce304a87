"""Markdown escaping: names from users cannot open links, tags or table cells."""

from generator.pages.markdown import attr, count, md


def test_md_escapes_markup_and_table_cells():
    text = md("<script>alert(1)</script> [x](javascript:y) a|b*c_d")
    assert "<" not in text and "[x](" not in text and "|" not in text.replace("\\|", "")
    assert "&lt;script&gt;" in text


def test_attr_escapes_quotes_and_brackets():
    assert attr('a"b[c]') == "a&quot;b(c)"


def test_count_is_readable():
    assert count(4253864) == "4.25 M" and count(12345) == "12.3 k" and count(999) == "999"
