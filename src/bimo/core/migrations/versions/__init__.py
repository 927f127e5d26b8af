"""Migration revisions, one file each, oldest first (``r0001_initial.py``, …)."""
