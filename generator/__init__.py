"""Keras Atlas: a visual atlas of convolutional networks, published as a static MkDocs site.

The package is cut along the flow of data in DESIGN.md: ``config`` -> ``plan`` -> ``backbones``/``weights`` ->
``compute`` (arrays only) -> ``render`` (arrays to image files) -> ``pages`` (Markdown) -> ``mkdocs build``.
"""

__version__ = "0.1.0"
