"""Photos: a photo and its pixels (``image``), where an atlas' photos come from (``folders``), and
the Oxford-IIIT Pet download (``pets``).
"""
