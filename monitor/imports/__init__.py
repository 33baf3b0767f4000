"""Bringing outside data into Detention Monitor.

Importers here are pure: they read files and return plain records and a list of problems, and
never touch the database or Flask. :mod:`monitor.imports.tables` turns a file (CSV, TSV, XLSX,
legacy XLS, GeoJSON, JSON) into rows of cells; :mod:`monitor.imports.facilities` recognises the
columns of a facility list and cleans each row into a facility record. A service function
decides what to create or update and writes the audit log.
"""
