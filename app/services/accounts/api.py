"""Reading accounts for the views: one account with its leads and history."""

from __future__ import annotations

from app.models import Lead
from app.services.accounts import core
from app.services.accounts.core import AccountDetail
from app.services.auth import Actor, Perm, require
from app.services.changes import Changes, Result
from app.services.errors import NotFound
from app.store.uow import UnitOfWork


def account_detail(
    uow: UnitOfWork, actor: Actor, account_id: int | None = None, lead_id: int | None = None
) -> Result[AccountDetail]:
    """An account (by id, or the account of `lead_id`): owner, leads and stage history."""
    with uow:
        require(actor, Perm.LEAD_VIEW)
        if account_id is None and lead_id is not None:
            lead = uow.session.get(Lead, lead_id)
            if lead is None:
                raise NotFound(f"There is no lead {lead_id}.")
            if lead.account_id is None:
                raise NotFound(f"Lead {lead_id} is not linked to an account (no company domain).")
            account_id = lead.account_id
        detail = core.account_detail(uow.session, account_id or 0)
        if detail is None:
            raise NotFound(f"There is no account {account_id}.")
    return Result(detail, Changes())
