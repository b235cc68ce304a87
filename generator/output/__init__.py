"""What a build writes outside the cache: files written atomically (``files``), the generated folder
(``writer``), which folders it may write to (``safety``), and the docs folder and ``mkdocs build`` (``site``).
"""
