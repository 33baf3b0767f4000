"""Project folders, resolved once.

``templates/``, ``checklists/`` and ``maps/`` sit at the top of the project so that people who
adapt a checklist or a report layout find them without reading Python. The package finds them
beside itself in a checkout or an editable install; ``MONITOR_HOME`` points elsewhere (a
container that copies the folders to another place).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get("MONITOR_HOME", PACKAGE.parent)).resolve()

CHECKLISTS = HOME / "checklists"
TEMPLATES = HOME / "templates"
MAPS = HOME / "maps"
BOUNDARIES = MAPS / "boundaries"
EXPORTS = HOME / "exports"
INSTANCE = HOME / "instance"
STATIC = PACKAGE / "web" / "static"
VENDOR = STATIC / "vendor"
NODE_MODULES = HOME / "node_modules"
