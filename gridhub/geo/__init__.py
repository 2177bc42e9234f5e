"""Regions and grids, members and duty, the spatial index, coordinate systems."""
