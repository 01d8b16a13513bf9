"""Linking leads to accounts and reading an account with its leads and history.

A lead belongs to the account of its e-mail domain (free-mail domains such as gmail.com say
nothing about the company and are ignored), else to the account with the same company name;
when neither exists one is created. The account's owner keeps the relationship: routing hands
new leads at a known account to them (routing/engine.py), and an account without an owner
takes the owner of its first routed lead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Account, Lead, StageTransition, User

_free_mail: frozenset[str] = frozenset()


def email_domain(email: str | None) -> str | None:
    """The company part of an address; None for free-mail and malformed addresses."""
    global _free_mail
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
    if not _free_mail:
        # The import's list of shared mailboxes (imported here: the import uses this module).
        from app.services.importing.dedup import FREE_MAIL

        _free_mail = FREE_MAIL
    if not domain or "." not in domain or domain in _free_mail:
        return None
    return domain


def find_account(session: Session, email: str | None, company: str | None) -> Account | None:
    domain = email_domain(email)
    if domain:
        account = session.scalar(
            select(Account).where(Account.domain == domain).order_by(Account.id).limit(1)
        )
        if account is not None:
            return account
    name = (company or "").strip()
    if name:
        return session.scalar(
            select(Account)
            .where(func.lower(Account.company) == name.lower())
            .order_by(Account.id)
            .limit(1)
        )
    return None


def link_lead(session: Session, clock: Clock, lead: Lead) -> Account | None:
    """Put `lead` in its account (found or created); None when it names no company."""
    account = find_account(session, lead.email, lead.company)
    if account is None:
        domain = email_domain(lead.email)
        name = (lead.company or "").strip() or domain
        if not name:
            return None
        account = Account(
            company=name,
            domain=domain,
            industry=lead.industry,
            headcount=lead.headcount,
            country=lead.country,
            created_at=clock.now(),
        )
        session.add(account)
        session.flush()
    elif account.domain is None:
        account.domain = email_domain(lead.email)
    lead.account_id = account.id
    return account


def adopt_owner(session: Session, lead: Lead) -> None:
    """An account without an owner takes the owner of its routed lead."""
    if lead.account_id is None or lead.owner_id is None:
        return
    account = session.get(Account, lead.account_id)
    if account is not None and account.owner_id is None:
        account.owner_id = lead.owner_id


@dataclass(frozen=True)
class AccountRow:
    id: int
    company: str
    domain: str | None
    owner: str | None
    owner_id: int | None
    leads: int
    open_leads: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "company": self.company,
            "domain": self.domain,
            "owner": self.owner,
            "owner_id": self.owner_id,
            "leads": self.leads,
            "open_leads": self.open_leads,
        }


@dataclass(frozen=True)
class AccountDetail:
    account: AccountRow
    leads: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.account.to_dict() | {"lead_list": self.leads, "history": self.history}


def list_accounts(session: Session, text: str = "", limit: int | None = None) -> list[AccountRow]:
    """Accounts with their owner and lead counts, biggest first."""
    total = func.count(Lead.id)
    open_ = func.count(Lead.id).filter(Lead.status == "open")
    stmt = (
        select(
            Account.id, Account.company, Account.domain, User.name, Account.owner_id, total, open_
        )
        .outerjoin(Lead, Lead.account_id == Account.id)
        .outerjoin(User, User.id == Account.owner_id)
        .group_by(Account.id, Account.company, Account.domain, User.name, Account.owner_id)
        .order_by(total.desc(), Account.company)
    )
    if text.strip():
        like = f"%{text.strip().lower()}%"
        stmt = stmt.where(
            func.lower(Account.company).like(like) | func.lower(Account.domain).like(like)
        )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [AccountRow(*row) for row in session.execute(stmt)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def account_detail(session: Session, account_id: int) -> AccountDetail | None:
    """One account: owner, its leads (newest first) and their stage history."""
    rows = [r for r in list_accounts(session) if r.id == account_id]
    if not rows:
        return None
    owner = User.__table__.alias("owner")
    leads = session.execute(
        select(
            Lead.id,
            Lead.display_name,
            Lead.email,
            Lead.status,
            Lead.tier,
            Lead.score,
            owner.c.name,
            Lead.captured_at,
        )
        .outerjoin(owner, owner.c.id == Lead.owner_id)
        .where(Lead.account_id == account_id)
        .order_by(Lead.captured_at.desc(), Lead.id.desc())
    ).all()
    lead_list = [
        {
            "id": r[0],
            "name": r[1],
            "email": r[2],
            "status": r[3],
            "tier": r[4],
            "score": r[5],
            "owner": r[6],
            "captured_at": _iso(r[7]),
        }
        for r in leads
    ]
    names = {r[0]: r[1] for r in leads}
    history = [
        {"at": _iso(at), "lead_id": lead_id, "lead": names.get(lead_id), "kind": kind, "note": note}
        for lead_id, at, kind, note in session.execute(
            select(
                StageTransition.lead_id,
                StageTransition.at,
                StageTransition.kind,
                StageTransition.note,
            )
            .where(StageTransition.lead_id.in_(list(names) or [0]))
            .order_by(StageTransition.at.desc(), StageTransition.id.desc())
            .limit(200)
        )
    ]
    return AccountDetail(rows[0], lead_list, history)


def account_of_lead(session: Session, lead_id: int) -> dict[str, Any] | None:
    """The account a lead belongs to, for `leads show --json`."""
    row = session.execute(
        select(Account.id, Account.company, Account.domain, Account.owner_id, User.name)
        .join(Lead, Lead.account_id == Account.id)
        .outerjoin(User, User.id == Account.owner_id)
        .where(Lead.id == lead_id)
    ).first()
    if row is None:
        return None
    return {"id": row[0], "company": row[1], "domain": row[2], "owner_id": row[3], "owner": row[4]}


class AccountIndex:
    """Every account by domain and by company name, loaded once: the import links each new
    lead to an existing account (and so routes it to the account's owner) from memory."""

    def __init__(self, session: Session) -> None:
        self.by_domain: dict[str, tuple[int, int | None]] = {}
        self.by_company: dict[str, tuple[int, int | None]] = {}
        self._seen: dict[str, tuple[int, int | None] | None] = {}
        rows = session.execute(
            select(Account.id, Account.domain, Account.company, Account.owner_id).order_by(
                Account.id.desc()
            )
        )
        for account_id, domain, company, owner_id in rows:  # the oldest wins: written last
            if domain:
                self.by_domain[domain.lower()] = (account_id, owner_id)
            if company:
                self.by_company[company.strip().lower()] = (account_id, owner_id)

    def match(self, email: str | None, company: str | None) -> tuple[int, int | None] | None:
        """(account id, owner id) for a lead's e-mail domain, else its company name."""
        found = None
        if email and self.by_domain:
            # A badge file repeats a few hundred domains: each is looked up once.
            tail = email.rpartition("@")[2]
            if tail in self._seen:
                found = self._seen[tail]
            else:
                domain = email_domain(email)
                found = self._seen[tail] = self.by_domain.get(domain) if domain else None
        if found is None and company and self.by_company:
            found = self.by_company.get(company.strip().lower())
        return found
