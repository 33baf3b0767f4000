"""Working with ODK and KoboToolbox: checklists as XLSForms, and submissions as visits.

- :mod:`~monitor.interop.xlsform_export` writes a checklist (or chosen sections) as an
  XLSForm; :mod:`~monitor.interop.form_plan` decides which questions it holds.
- :mod:`~monitor.interop.checklist_files` imports an XLSForm as checklist YAML files, checked
  by the checklist validator (reading: :mod:`~monitor.interop.sheets`,
  :mod:`~monitor.interop.xlsform_import`, :mod:`~monitor.interop.form_parts`,
  :mod:`~monitor.interop.form_checks`, :mod:`~monitor.interop.expressions`; writing:
  :mod:`~monitor.interop.yaml_writer`).
- :mod:`~monitor.interop.submissions` turns KoboToolbox/ODK submission exports (read by
  :mod:`~monitor.interop.submission_files`) into draft visits owned by the account
  :func:`~monitor.interop.owner.importing_user` names.

Problems in forms are reported as ``sheet S, row R: sentence``; problems in submission files as
``row R, column C: sentence``.
"""
