"""Outputs: pure functions from prepared data to artefacts people look at.

``charts`` draws small, accessible SVG charts on the server, so the same figure appears in a
web page and in a WeasyPrint PDF. ``maps`` builds folium maps that load only local copies of
Leaflet and its plugins, so a public map works offline and contacts no third party.

Nothing here reads the database or knows about Flask: callers pass data frames, mappings and a
function that turns a static file name into a URL.
"""
