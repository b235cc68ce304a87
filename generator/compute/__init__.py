"""Compute: a ``keras.Model`` and arrays in, arrays out. Nothing here writes a file or knows about pages.

Each function can be called from a notebook: ``filters.visualize_filters``, ``heatmaps.gradcam``,
``activations.layer_activations``, ``predictions.predict``, ``summary.layer_summary``.
"""
