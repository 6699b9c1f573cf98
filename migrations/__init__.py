"""Alembic migrations (Flask-Migrate) and the autogenerate plugins they need.

A package so that env.py, the revision scripts and tests import the helpers the same way
(`from migrations import append_only`), with the repository root on sys.path as for `app`.
"""
