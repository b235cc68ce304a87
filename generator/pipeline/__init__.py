"""The build's stages after the plan (``generator.plan``): ``compute_units``, then ``draw_figures``, then pages and site.

``run.build`` is the spine that calls them in order; ``preflight`` checks the config against the architectures
first, and ``report`` says what the build did. Nothing is imported here, so that importing the draw stage
imports no stage that runs networks.
"""
