"""Who may do what: the one access policy that every view, CLI command and API call asks.

A person's *relations* to a council or a round (lead, respondent, assigned facilitator, analyst,
admin, owner of a response) are worked out from the database; each action lists the relations
that allow it, and some add a condition on the round (for example, analysts see only published
rounds shared by name). Anything not allowed is refused with :class:`NotAllowed`, which the web
answers with 404, so that nobody learns which councils use the service.

Rules about the state of the data (a round that is no longer open, a submitted response) are
not access rules: the services that change the data enforce them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event, exists, select
from sqlalchemy.orm import Session

from assess.models import (
    Assessment,
    AssessmentStatus,
    Assignment,
    Membership,
    Organisation,
    OrganisationRole,
    Participant,
    Response,
    ResponseKind,
    Sharing,
    SiteRole,
    User,
)


class Action(enum.StrEnum):
    """Everything the policy decides."""

    VIEW_COUNCIL = "view-council"  # the council's page, listing the rounds the person may see
    START_ROUND = "start-round"
    VIEW_ROUND = "view-round"
    ANSWER = "answer"  # answer the round's questionnaires as oneself
    MANAGE_ROUND = "manage-round"  # change, invite, close, return and publish
    ASSIGN_FACILITATOR = "assign-facilitator"
    VIEW_RESPONSES = "view-responses"  # every individual response of a round, named
    FACILITATE = "facilitate"  # divergence, the agreed response, targets, actions, the pack
    VIEW_PUBLISHED_PROFILE = "view-published-profile"  # the council's agreed profile of a round
    VIEW_RESPONSE = "view-response"  # one response's answers and results
    CHANGE_RESPONSE = "change-response"  # save answers to a response, submit it
    VIEW_SECTOR = "view-sector"  # aggregates of published, shared rounds
    VIEW_BENCHMARK = "view-benchmark"  # a council's agreed levels beside those of similar councils
    MANAGE_TOKENS = "manage-tokens"  # create, list and revoke one's own API tokens
    ADMINISTER = "administer"  # users, councils, the questionnaire library, the audit log


class Relation(enum.StrEnum):
    """How a person stands to a council, a round or a response."""

    LEAD = "lead"
    RESPONDENT = "respondent"
    PARTICIPANT = "participant"  # a member of the council asked to answer the round
    FACILITATOR = "facilitator"  # assigned to the round (or, for a council, to one of its rounds)
    OWNER = "owner"  # the respondent whose own response it is
    ANALYST = "analyst"
    ADMIN = "admin"


Target = Organisation | Assessment | Response | None
Condition = Callable[[Target], bool]


def _round_of(target: Target) -> Assessment | None:
    return target.assessment if isinstance(target, Response) else target if isinstance(target, Assessment) else None


def _always(_target: Target) -> bool:
    return True


def _published(target: Target) -> bool:
    assessment = _round_of(target)
    return (assessment is not None and assessment.published_at is not None
            and assessment.status in (AssessmentStatus.PUBLISHED, AssessmentStatus.CLOSED))


def _published_by_name(target: Target) -> bool:
    assessment = _round_of(target)
    return _published(target) and assessment is not None and assessment.sharing == Sharing.NAMED


def _shares_by_name(target: Target) -> bool:
    return isinstance(target, Organisation) and any(_published_by_name(a) for a in target.assessments)


def _agreed(target: Target) -> bool:
    return isinstance(target, Response) and target.kind == ResponseKind.CONSENSUS


@dataclass(frozen=True)
class Grant:
    """Relations that allow an action, when a condition on the round holds."""

    relations: frozenset[Relation]
    when: Condition = _always


def _grant(*relations: Relation, when: Condition = _always) -> Grant:
    return Grant(frozenset(relations), when)


MEMBERS = (Relation.LEAD, Relation.RESPONDENT)

#: The policy itself: each action and the grants that allow it (any one grant is enough).
RULES: dict[Action, tuple[Grant, ...]] = {
    Action.VIEW_COUNCIL: (_grant(*MEMBERS, Relation.FACILITATOR),),
    Action.START_ROUND: (_grant(Relation.LEAD),),
    # A respondent sees the rounds they are asked in, and their council's published rounds.
    Action.VIEW_ROUND: (_grant(Relation.LEAD, Relation.PARTICIPANT, Relation.FACILITATOR),
                        _grant(Relation.RESPONDENT, when=_published)),
    Action.ANSWER: (_grant(Relation.PARTICIPANT),),
    Action.MANAGE_ROUND: (_grant(Relation.LEAD),),
    Action.ASSIGN_FACILITATOR: (_grant(Relation.LEAD, Relation.ADMIN),),
    Action.VIEW_RESPONSES: (_grant(Relation.LEAD, Relation.FACILITATOR),),
    Action.FACILITATE: (_grant(Relation.LEAD, Relation.FACILITATOR),),
    Action.VIEW_PUBLISHED_PROFILE: (
        _grant(Relation.LEAD, Relation.FACILITATOR),
        _grant(Relation.RESPONDENT, when=_published),
        _grant(Relation.ANALYST, when=_published_by_name),
    ),
    Action.VIEW_RESPONSE: (_grant(Relation.OWNER, Relation.LEAD, Relation.FACILITATOR),),
    Action.CHANGE_RESPONSE: (_grant(Relation.OWNER), _grant(Relation.LEAD, Relation.FACILITATOR, when=_agreed)),
    Action.VIEW_SECTOR: (_grant(Relation.ANALYST),),
    Action.VIEW_BENCHMARK: (_grant(Relation.LEAD), _grant(Relation.ANALYST, when=_shares_by_name)),
    Action.MANAGE_TOKENS: (_grant(Relation.ANALYST, Relation.ADMIN),),
    Action.ADMINISTER: (_grant(Relation.ADMIN),),
}


class NotAllowed(LookupError):
    """The person may not do this; callers answer as if the object did not exist."""


def relations(session: Session, user: User | None, target: Target = None) -> frozenset[Relation]:
    """How a person stands to a council, a round or a response (nothing for nobody signed in)."""
    if user is None or not user.active:
        return frozenset()
    found = {Relation(role) for role in (SiteRole.ANALYST, SiteRole.ADMIN) if user.has_role(role)}
    response = target if isinstance(target, Response) else None
    assessment = _round_of(target)
    organisation_id = (assessment.organisation_id if assessment is not None
                       else target.id if isinstance(target, Organisation) else None)
    if organisation_id is None:
        return frozenset(found)
    # The person's memberships are loaded with them (one statement a request, see load_user), not asked for each check.
    role = next((m.role for m in user.memberships if m.organisation_id == organisation_id), None)
    if role is not None:
        found.add(Relation.LEAD if role == OrganisationRole.LEAD else Relation.RESPONDENT)
    if role is not None and assessment is not None and _asked(session, user, assessment):
        found.add(Relation.PARTICIPANT)
    if user.has_role(SiteRole.FACILITATOR) and _assigned(session, user, organisation_id, assessment):
        found.add(Relation.FACILITATOR)
    if (response is not None and response.kind == ResponseKind.INDIVIDUAL and response.respondent_id == user.id
            and role is not None):
        found.add(Relation.OWNER)
    return frozenset(found)


#: The session.info key of the facilitator assignments looked up in a session since it last wrote anything.
_ASSIGNED = "assess.policy.assigned"


def _assigned(session: Session, user: User, organisation_id: int, assessment: Assessment | None) -> bool:
    # A page asks the policy several times about one round: look each assignment up once.
    memo: dict[tuple[int, int, int | None], bool] = session.info.setdefault(_ASSIGNED, {})
    key = (user.id, organisation_id, assessment.id if assessment is not None else None)
    if key not in memo:
        query = select(Assignment.id).where(Assignment.user_id == user.id)
        if assessment is not None:
            query = query.where(Assignment.assessment_id == assessment.id)
        else:
            query = query.join(Assessment).where(Assessment.organisation_id == organisation_id)
        memo[key] = bool(session.scalar(select(exists(query))))
    return memo[key]


#: The session.info key of the participants looked up in a session since it last wrote anything.
_ASKED = "assess.policy.asked"


def _asked(session: Session, user: User, assessment: Assessment) -> bool:
    # Like assignments: a page asks about one round several times; look the participant up once.
    memo: dict[tuple[int, int], bool] = session.info.setdefault(_ASKED, {})
    key = (user.id, assessment.id)
    if key not in memo:
        memo[key] = bool(session.scalar(select(exists().where(Participant.assessment_id == assessment.id,
                                                              Participant.user_id == user.id))))
    return memo[key]


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def forget_lookups(session: Session, *_args: object) -> None:
    """Whatever a session writes (or another transaction wrote meanwhile) may change who is assigned or asked."""
    session.info.pop(_ASSIGNED, None)
    session.info.pop(_ASKED, None)


def allowed(session: Session, user: User | None, action: Action, target: Target = None) -> bool:
    """Whether a person may do an action on a council, a round, a response (or the whole service)."""
    held = relations(session, user, target)
    return any(held & grant.relations and grant.when(target) for grant in RULES[action])


def require(session: Session, user: User | None, action: Action, target: Target = None) -> None:
    """Raise NotAllowed unless the person may do the action."""
    if not allowed(session, user, action, target):
        raise NotAllowed(action.value)


def visible_rounds(session: Session, user: User, organisation: Organisation) -> list[Assessment]:
    """The council's rounds this person may see, newest first (a facilitator sees only theirs)."""
    rounds = session.scalars(
        select(Assessment).filter_by(organisation_id=organisation.id)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
    ).all()
    return [a for a in rounds if allowed(session, user, Action.VIEW_ROUND, a)]


def councils_of(session: Session, user: User) -> list[Organisation]:
    """The councils a person belongs to or facilitates a round of, by name."""
    member_of = select(Membership.organisation_id).where(Membership.user_id == user.id)
    facilitating = (select(Assessment.organisation_id).join(Assignment)
                    .where(Assignment.user_id == user.id)) if user.has_role(SiteRole.FACILITATOR) else None
    query = select(Organisation).where(
        Organisation.id.in_(member_of) if facilitating is None
        else Organisation.id.in_(member_of) | Organisation.id.in_(facilitating)
    )
    return list(session.scalars(query.order_by(Organisation.name)))
