"""Pages: plain results to Markdown through the Jinja templates in ``templates/``. No TensorFlow here."""

from __future__ import annotations

from generator.pages.write import navigation, write_pages

__all__ = ["navigation", "write_pages"]
