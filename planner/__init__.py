"""The infusion-window planner's domain core.

Pure Python: it knows infusions, windows, therapists, sessions and time, and nothing of the
web or the database (a test checks that no module here imports FastAPI or SQLAlchemy).
"""
