"""Formulas more than one stage uses, each in its own module: the area under a curve (``curve_area``) and
where a unit looks on the input (``field_box``). Nothing is imported here.
"""
