"""The import closure that a code hash covers: imports at any depth, inside functions too, not type-only ones."""

from generator.cache import code


def _package(tmp_path, monkeypatch, files: dict[str, str]) -> None:
    root = tmp_path / "generator"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setattr(code, "PACKAGE_DIR", root)
    code.code_hash.cache_clear()


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
