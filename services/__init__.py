"""Use cases: each takes a unit of work, applies the domain rules and commits once."""
