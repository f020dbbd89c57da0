"""The rules of the hemifacial spasm pathway, one module per stage group.

``hfs_pathway._hfs`` assembles them into the one definition everything else is derived from.
"""
