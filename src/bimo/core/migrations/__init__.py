"""Alembic migrations of the operational store (see :func:`bimo.core.operational.upgrade_to_head`).

Shipped inside the package so that ``bimo db upgrade`` works from an installed wheel. New
revision files go into ``versions/`` as ``rNNNN_<slug>.py`` with ``revision = "NNNN"``.
"""
