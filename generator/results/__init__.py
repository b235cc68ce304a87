"""Plain values handed along the flow and summarised for the pages: what was drawn (``atlas``), how a
layer's filter images were made (``filter_run``), the heatmap scores' summaries (``scoring``) and the breeds'
(``breeds``). Nothing is imported here, so that a module that needs one value does not import the others.
"""
