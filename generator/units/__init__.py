"""Unit kinds: each kind of work unit (the filter images of a layer, the analysis of a photo, its heatmaps' scores,
the natural examples of a group of photos) is one module implementing ``base.UnitKind``, registered in
``table.KINDS`` the way CAM methods are in ``compute.cams.METHODS``.

A kind's module is the code hash of its arrays (``cache.code``): what runs to make them is imported from it.
Nothing is imported here, so that no kind's closure holds another kind.
"""
