"""Use cases: functions that take a Session, change or read things, flush, and return.

The caller (a view or a CLI command) owns the transaction and commits.
"""
