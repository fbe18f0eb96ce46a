"""Courses of infusions and the infusions recorded for them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Course, Infusion
from planner.errors import NotFound


class CourseRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, row: Course) -> Course:
        self.db.add(row)
        self.db.flush()
        return row

    def get(self, course_id: int) -> Course:
        row = self.db.get(Course, course_id)
        if row is None:
            raise NotFound("course", course_id)
        return row

    def infusions(self, course_id: int) -> list[Infusion]:
        """The course's infusions (cancelled ones too), by start."""
        query = (
            select(Infusion)
            .where(Infusion.course_id == course_id)
            .order_by(Infusion.start, Infusion.id)
        )
        return list(self.db.scalars(query))
