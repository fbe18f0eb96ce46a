"""Repositories: the queries of one aggregate each, so use cases read like the clinic's steps.

Each takes the unit of work's database session; none commits (the unit of work does).
Lookups by id raise the domain's ``NotFound`` (an id in the path) or ``UnknownReference``
(an id inside a request), so callers never test for ``None``.
"""
