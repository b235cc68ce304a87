"""Markdown escaping: names from users cannot open links, tags or table cells."""

from generator.pages.markdown import attr, count, md, score


def test_md_escapes_markup_and_table_cells():
    text = md("<script>alert(1)</script> [x](javascript:y) a|b*c_d")
    assert "<" not in text and "[x](" not in text and "|" not in text.replace("\\|", "")
    assert "&lt;script&gt;" in text


def test_attr_escapes_quotes_and_brackets():
    assert attr('a"b[c]') == "a&quot;b(c)"


def test_count_is_readable():
    assert count(4253864) == "4.25 M" and count(12345) == "12.3 k" and count(999) == "999"


def test_the_width_sweep_is_one_application_at_several_widths_narrowest_first():
    from types import SimpleNamespace

    from generator.pages.write import width_sweep

    def backbone(application, alpha, layers=3):
        return SimpleNamespace(application=application, alpha=alpha, layers=[None] * layers)

    atlas = SimpleNamespace(backbones=[backbone("vgg16", None), backbone("mobilenet", 1.0), backbone("mobilenet", 0.25)])
    assert [member.alpha for member in width_sweep(atlas)] == [0.25, 1.0]
    assert width_sweep(SimpleNamespace(backbones=[backbone("mobilenet", 1.0), backbone("vgg16", None)])) == []
    mismatched = SimpleNamespace(backbones=[backbone("mobilenet", 1.0, 3), backbone("mobilenet", 0.5, 4)])
    assert width_sweep(mismatched) == []


def test_scores_print_two_decimals_a_real_minus_sign_and_no_negative_zero():
    assert score(0.4216) == "0.42" and score(-0.256) == "\u22120.26" and score(-0.0004) == "0.00" and score(0.0) == "0.00"
