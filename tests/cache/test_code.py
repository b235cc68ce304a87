"""The import closure that a code hash covers: imports at any depth, inside functions too, not type-only ones; and
what of each file counts: what it runs, not its docstrings, comments or layout."""

from generator.cache import code


def _package(tmp_path, monkeypatch, files: dict[str, str]) -> None:
    root = tmp_path / "generator"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setattr(code, "PACKAGE_DIR", root)
    code.forget_files()


def test_the_closure_follows_imports_inside_functions_and_the_packages_above_but_not_type_only_ones(tmp_path, monkeypatch):
    _package(tmp_path, monkeypatch, {
        "__init__.py": "",
        "stage.py": "from generator.lib import helper\n\ndef run():\n    import generator.deep.inner\n",
        "lib/__init__.py": "", "lib/helper.py": "import numpy\n",
        "deep/__init__.py": "", "deep/inner.py": "from generator import leaf\n",
        "leaf.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from generator import typed\n",
        "typed.py": "", "unrelated.py": "",
    })
    closure = {path.relative_to(tmp_path / "generator").as_posix() for path in code.import_closure("generator.stage")}
    assert closure == {"__init__.py", "stage.py", "lib/__init__.py", "lib/helper.py", "deep/__init__.py", "deep/inner.py", "leaf.py"}


def test_the_hash_changes_with_any_file_in_the_closure_and_with_no_other(tmp_path, monkeypatch):
    files = {"__init__.py": "", "stage.py": "from generator import used\n", "used.py": "x = 1\n", "other.py": "y = 1\n"}
    _package(tmp_path, monkeypatch, files)
    before = code.code_hash("generator.stage")
    _package(tmp_path, monkeypatch, {**files, "other.py": "y = 2\n"})
    assert code.code_hash("generator.stage") == before
    _package(tmp_path, monkeypatch, {**files, "used.py": "x = 2\n"})
    assert code.code_hash("generator.stage") != before



def test_docstrings_comments_and_layout_change_no_hash_and_code_or_a_used_string_does(tmp_path, monkeypatch):
    used = ('"""Module."""\nRULE = "higher is better"\n"""What it means."""\n\n\n'
            'class Settings:\n    """Doc."""\n\n    steps: int = 4\n    """Doc."""\n\n\n'
            'def f(x):\n    """Doc."""\n    return x + 1\n')
    files = {"__init__.py": "", "stage.py": "from generator import used\n", "used.py": used}
    _package(tmp_path, monkeypatch, files)
    before = code.code_hash("generator.stage")
    for edited in (used.replace('"""Doc."""', '"""Another doc, longer."""'),
                   used.replace('"""Module."""\n', '"""Module,\n\nin two paragraphs."""\n# a comment\n'),
                   used.replace('"""What it means."""\n', ""),
                   used.replace("return x + 1", "return (\n        x + 1  # wrapped\n    )")):
        _package(tmp_path, monkeypatch, {**files, "used.py": edited})
        assert code.code_hash("generator.stage") == before, edited
    for edited in (used.replace("x + 1", "x + 2"), used.replace("higher is better", "lower is better"),
                   used.replace("steps: int = 4", "steps: int = 5")):
        _package(tmp_path, monkeypatch, {**files, "used.py": edited})
        assert code.code_hash("generator.stage") != before, edited
