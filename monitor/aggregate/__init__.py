"""Aggregation: turn stored facts into the tables that dashboards, maps and exports show.

Everything here is pure: data frames in, data frames out, no database session and no Flask.
``geo`` owns country boundaries and the spatial joins between facilities and countries; it is
the only module that imports geopandas, so the rest of the application stays light.
"""
