"""What a cached value's code and libraries are: the part of every key that changes when the code or a library does.

A unit's bytes are shaped by every module that runs while they are made, not only by one folder. The code
hash of a value is therefore derived from the import closure of the module that makes it: that module and
every ``generator`` module it imports, at any depth and from inside functions too (imports only a type checker
sees are left out, since they never run), with the packages above each. A module added later is covered as
soon as it is imported; editing a module outside the closure (a template, the CLI) redoes nothing.

Some modules are never part of a closure (``KEYED_AS_VALUES``): ``config`` (the settings' declarations),
``registry`` (a row per backbone) and the plan's modules that describe units (their dataclasses, keys, paths and
shard selection). What they contribute to a value reaches its key as data: the settings as typed values, a
backbone's spec and registry row as its network's identity (``plan.keys.network_identity``). So a new registry
row, a default that no unit reads, or a renamed path recomputes nothing.

What is hashed of each file is its syntax tree without docstrings (``normalised_source``): a docstring, a comment or
a line wrapped otherwise cannot change a value, so editing them recomputes nothing.

The libraries that shape bytes are part of the keys by their installed versions, read from the package
metadata, so that checking a key never imports them.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PACKAGE = PACKAGE_DIR.name


def module_file(name: str) -> Path | None:
    """The source file of module ``name`` of this package (a package's ``__init__.py``), or None."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


@dataclass(frozen=True)
class _Source:
    """What the closure and the hash need of one source file, from one parse."""

    imports: frozenset[str]
    normalised: bytes


def _read(path: Path) -> _Source:
    """``path`` parsed once per process and per version of the file (an edit changes its size or its time)."""
    status = path.stat()
    return _parsed(str(path), status.st_size, status.st_mtime_ns)


@cache
def _parsed(path: str, size: int, mtime_ns: int) -> _Source:
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)
    imports = _imports_in(tree)  # before the docstrings go: stripping edits the tree in place
    return _Source(imports, ast.dump(_without_docstrings(tree), include_attributes=False).encode())


def imported_modules(path: Path) -> set[str]:
    """The ``generator`` modules a source file imports anywhere (submodules named in ``from x import y`` too)."""
    return {name for name in _read(path).imports if module_file(name) is not None}


def _imports_in(tree: ast.AST) -> frozenset[str]:
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if _is_type_checking_block(node):
            pending.extend(node.orelse)  # the body only runs under a type checker
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))
    return frozenset(found)


KEYED_AS_VALUES = (
    "generator.config", "generator.settings", "generator.registry",
    "generator.plan", "generator.plan.units", "generator.plan.keys", "generator.plan.names", "generator.plan.select",
)
"""Modules left out of every closure: what they shape reaches the keys as values (see the module's docstring).
The plan's own modules are among them: its dataclasses, key assembly, paths and shard selection decide which units
there are and what their keys hold, and everything of them a unit's arrays depend on is a value in its key
(settings as ``dataclasses.asdict``, the photos' hashes, the analysis key a score reads). A unit kind's module
(``units.<kind>``) imports them to plan its units and is itself its kinds' code."""


def _with_parents(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``, ``a.b.c``: importing a module runs every package above it."""
    parts = name.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts) + 1)]


def import_closure(*roots: str) -> list[Path]:
    """Every source file that runs when the ``roots`` are imported and their functions called, sorted."""
    seen: set[str] = set()
    pending = [parent for root in roots for parent in _with_parents(root)]
    while pending:
        name = pending.pop()
        if name in seen or name in KEYED_AS_VALUES or module_file(name) is None:
            continue
        seen.add(name)
        for imported in imported_modules(module_file(name)):
            pending.extend(_with_parents(imported))
    return sorted({module_file(name) for name in seen})


def _without_docstrings(tree: ast.AST) -> ast.AST:
    """``tree`` with every statement that is a lone string removed: module, class and function docstrings, and the
    attribute docstrings under constants and fields. Such a statement does nothing when it runs; the package never
    reads ``__doc__`` to compute a value."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            statements = getattr(node, name, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                kept = [statement for statement in statements if not _is_lone_string(statement)]
                setattr(node, name, kept or [ast.Pass()])
    return tree


def _is_lone_string(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def normalised_source(path: Path) -> bytes:
    """What of a source file can change what it computes: its syntax tree without docstrings, comments, line
    positions or layout."""
    return _read(path).normalised


@cache
def code_hash(*roots: str) -> str:
    """sha256 over the import closure of ``roots`` (each file's ``normalised_source``): the version of the code
    that makes a value."""
    if not all(module_file(root) for root in roots):
        raise ValueError(f"not modules of {PACKAGE}: {', '.join(root for root in roots if not module_file(root))}")
    digest = hashlib.sha256()
    for path in import_closure(*roots):
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(normalised_source(path))
    return digest.hexdigest()


def forget_files() -> None:
    """Forget every file read so far (for a process that edits the sources it hashes: the tests)."""
    for cached in (code_hash, _parsed):
        cached.cache_clear()


@cache
def library_versions(*distributions: str) -> dict[str, str]:
    """Installed versions of the distributions that are installed (TensorFlow ships under several names)."""
    versions = {}
    for name in distributions:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            continue
    return versions


@cache
def image_codec_versions() -> dict[str, str]:
    """The JPEG, WebP and zlib libraries inside Pillow: they, not Pillow's own version, encode the files."""
    from PIL import features

    return {codec: str(features.version(codec)) for codec in ("jpg", "webp", "zlib")}


@cache
def graphviz_version() -> str:
    """``dot -V``, which lays out the architecture plots ('missing' when Graphviz is not installed)."""
    dot = shutil.which("dot")
    if dot is None:
        return "missing"
    result = subprocess.run([dot, "-V"], capture_output=True, text=True, check=False)
    return (result.stderr or result.stdout).strip()
