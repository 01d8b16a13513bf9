"""Routing rules: ordered conditions that send a lead to a rep or a pool of reps."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class RoutingRule(Base):
    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # e.g. {"country": ["Germany", "Austria"], "tier": ["Urgent"], "min_headcount": 500}
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A pool is a list of user ids, served round-robin.
    target_pool: Mapped[list[Any] | None] = mapped_column(JSON)
