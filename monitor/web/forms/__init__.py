"""Form classes: hand-written ones here, checklist forms generated in ``checklist``."""
