"""The domain model: SQLAlchemy 2.0 typed models (see docs in ../shared/design.md)."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assess.db import Base, UTCDateTime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store enum values (not names) as plain strings, so the database reads well and
    # PostgreSQL needs no enum types to migrate.
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class SiteRole(enum.StrEnum):
    """What a user may do across the whole service."""

    ADMIN = "admin"
    ANALYST = "analyst"
    FACILITATOR = "facilitator"


class OrganisationRole(enum.StrEnum):
    """What a member may do within one organisation."""

    LEAD = "lead"
    RESPONDENT = "respondent"


class RespondentGroup(enum.StrEnum):
    """Which group a respondent answers for, for comparing views."""

    OFFICER = "officer"
    MEMBER = "member"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The group's name on pages: "Senior officers", "Elected members", "Others"."""
        return {"officer": "Senior officers", "member": "Elected members", "other": "Others"}[self.value]


class AssessmentStatus(enum.StrEnum):
    """Where an assessment round is in its life."""

    OPEN = "open"
    IN_REVIEW = "in-review"
    PUBLISHED = "published"
    CLOSED = "closed"


#: The states of a round whose results are published: fixed, readable by the council, shared as its sharing says.
PUBLISHED_STATES = (AssessmentStatus.PUBLISHED, AssessmentStatus.CLOSED)


class Sharing(enum.StrEnum):
    """How a published assessment is shared with the sector."""

    PRIVATE = "private"
    ANONYMOUS = "anonymous"
    NAMED = "named"


class ResponseKind(enum.StrEnum):
    """One person's response, or the agreed response of the team."""

    INDIVIDUAL = "individual"
    CONSENSUS = "consensus"


class ResponseStatus(enum.StrEnum):
    """How far a response has got."""

    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    SUBMITTED = "submitted"


class ActionStatus(enum.StrEnum):
    """Progress of an improvement action."""

    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    DONE = "done"


class Organisation(Base):
    """A council."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    official_name: Mapped[str | None] = mapped_column(String(300))
    gss_code: Mapped[str | None] = mapped_column(String(9), index=True)
    type: Mapped[str] = mapped_column(String(60), index=True)
    region: Mapped[str] = mapped_column(String(60), index=True)
    population: Mapped[int | None] = mapped_column(Integer)

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")
    assessments: Mapped[list[Assessment]] = relationship(back_populates="organisation")


class User(Base):
    """A person who signs in."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    site_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Made by `assess simulate`; `assess simulate --remove` takes exactly these out again.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Every session carries the generation it began in; raising it ends all of the person's sessions.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The secret of the person's authenticator app, once they have set one up, encrypted (assess/encryption.py).
    totp_secret: Mapped[str | None] = mapped_column(String(200))
    # The time step of the last code accepted, so that a code works only once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    def has_role(self, role: SiteRole) -> bool:
        """Whether the user holds a site role."""
        return role.value in (self.site_roles or [])


class Membership(Base):
    """A user's place in an organisation."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[OrganisationRole] = mapped_column(_enum(OrganisationRole))
    group: Mapped[RespondentGroup] = mapped_column(_enum(RespondentGroup))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class VersionStatus(enum.StrEnum):
    """Whether new rounds may use a recorded questionnaire version (rounds that use one keep it whatever)."""

    STAGED = "staged"
    OFFERED = "offered"
    RETIRED = "retired"


class QuestionnaireVersion(Base):
    """A snapshot of one questionnaire file at one version; responses point at it."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Uploaded versions start staged; versions from the library folder are offered when recorded.
    status: Mapped[VersionStatus] = mapped_column(_enum(VersionStatus), default=VersionStatus.OFFERED)


class Assessment(Base):
    """One assessment round for one organisation."""

    __tablename__ = "assessment"
    # Sector figures select published rounds by how they are shared.
    __table_args__ = (Index("ix_assessment_status_sharing", "status", "sharing"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Identifies the round across installations: an export carries it, and an import keeps it.
    uid: Mapped[str] = mapped_column(String(36), unique=True, default=lambda: str(uuid.uuid4()))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[AssessmentStatus] = mapped_column(_enum(AssessmentStatus), default=AssessmentStatus.OPEN)
    sharing: Mapped[Sharing] = mapped_column(_enum(Sharing), default=Sharing.PRIVATE)
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    # The respondent groups the lead expects answers from (officer, member, other).
    expected_groups: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["officer", "member"])
    # Whether colleagues see respondents' comments with their names (otherwise anonymously).
    comments_named: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Made by `assess simulate`; `assess simulate --remove` takes exactly these out again.
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    organisation: Mapped[Organisation] = relationship(back_populates="assessments")
    questionnaires: Mapped[list[AssessmentQuestionnaire]] = relationship(
        back_populates="assessment", order_by="AssessmentQuestionnaire.position", cascade="all, delete-orphan"
    )
    responses: Mapped[list[Response]] = relationship(back_populates="assessment", cascade="all, delete-orphan")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="assessment", cascade="all, delete-orphan")
    participants: Mapped[list[Participant]] = relationship(back_populates="assessment", cascade="all, delete-orphan")


class Assignment(Base):
    """A facilitator assigned to one assessment round (by the council's lead or an admin)."""

    __tablename__ = "assignment"
    __table_args__ = (UniqueConstraint("assessment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class JoinedBy(enum.StrEnum):
    """How a person came to be asked in a round."""

    INVITED = "invited"  # accepted an invitation to the round
    ADDED = "added"  # added by the lead from the council's members
    CARRIED_OVER = "carried-over"  # asked in the round this one started from

    @property
    def label(self) -> str:
        """How they joined, in words."""
        return {"invited": "Invited", "added": "Added by the lead", "carried-over": "From the last round"}[self.value]


class Participant(Base):
    """A person asked to answer in one round, with the group they answer for.

    Completion, reminders, participation, the divergence view and a respondent's home page read
    these rows, never the council's whole membership.
    """

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("assessment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    group: Mapped[RespondentGroup] = mapped_column(_enum(RespondentGroup))
    how: Mapped[JoinedBy] = mapped_column(_enum(JoinedBy))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    assessment: Mapped[Assessment] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AssessmentQuestionnaire(Base):
    """A questionnaire version offered in an assessment round."""

    __tablename__ = "assessment_questionnaire"
    __table_args__ = (UniqueConstraint("assessment_id", "questionnaire_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    assessment: Mapped[Assessment] = relationship(back_populates="questionnaires")
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()


class Response(Base):
    """One respondent's (or the team's consensus) answers to one questionnaire version."""

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("assessment_id", "questionnaire_version_id", "respondent_id", "kind"),
        # The constraint above cannot hold one consensus per round and version: its respondent is
        # NULL, and NULLs never clash. A partial index does.
        Index("uq_response_one_consensus", "assessment_id", "questionnaire_version_id", unique=True,
              sqlite_where=text("kind = 'consensus'"), postgresql_where=text("kind = 'consensus'")),
        Index("ix_response_assessment_kind_status", "assessment_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"), index=True)
    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    respondent_group: Mapped[RespondentGroup | None] = mapped_column(_enum(RespondentGroup))
    kind: Mapped[ResponseKind] = mapped_column(_enum(ResponseKind), default=ResponseKind.INDIVIDUAL)
    status: Mapped[ResponseStatus] = mapped_column(_enum(ResponseStatus), default=ResponseStatus.NOT_STARTED)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Set when the lead or facilitator hands a submitted response back for changes, with why.
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_message: Mapped[str | None] = mapped_column(Text)

    assessment: Mapped[Assessment] = relationship(back_populates="responses")
    questionnaire_version: Mapped[QuestionnaireVersion] = relationship()
    respondent: Mapped[User | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan")
    scores: Mapped[list[Score]] = relationship(back_populates="response", cascade="all, delete-orphan")
    sections: Mapped[list[ResponseSection]] = relationship(back_populates="response", cascade="all, delete-orphan")


class ResponseSection(Base):
    """One section of a response as last saved: its version counter locks that section's page.

    Each save of a section page names the version it was shown at; a save that names an older
    one is refused, so two tabs (or two facilitators) on different sections never conflict.
    """

    __tablename__ = "response_section"
    __table_args__ = (UniqueConstraint("response_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    section_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    response: Mapped[Response] = relationship(back_populates="sections")


class Answer(Base):
    """A response's answer to one question."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(100))
    # JSON keeps the answer's own type: a level (int), "yes"/"no", option values, a number or text.
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    not_applicable: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    response: Mapped[Response] = relationship(back_populates="answers")


class Score(Base):
    """A scorer's stored result for a response: the questionnaire (section_id None) or one section.

    Stored scores are what results, reports and sector figures read; `assess rescore` renews them.
    """

    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("response_id", "section_id"),
        # NULLs never clash in the constraint above, so the overall row needs its own unique index.
        Index("uq_score_one_overall", "response_id", unique=True,
              sqlite_where=text("section_id IS NULL"), postgresql_where=text("section_id IS NULL")),
        Index("ix_score_version_section", "questionnaire_version_id", "section_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    section_id: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[int | None] = mapped_column(Integer, index=True)
    value: Mapped[float | None] = mapped_column(Float)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    applicable: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(100))
    scorer_version: Mapped[str] = mapped_column(String(40))
    # The options the scorer was given (the questionnaire version's `scoring.options`), so a score says what made it.
    scorer_options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    response: Mapped[Response] = relationship(back_populates="scores")


class Target(Base):
    """The level an organisation aims for in one section of one questionnaire."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("assessment_id", "questionnaire_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    section_id: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(Integer)


class Action(Base):
    """An improvement action agreed for a section."""

    __tablename__ = "action"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    section_id: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(_enum(ActionStatus), default=ActionStatus.NOT_STARTED)

    assessment: Mapped[Assessment] = relationship()


class InvitedAs(enum.StrEnum):
    """What an invitation asks a person to do in a round."""

    RESPONDENT = "respondent"
    FACILITATOR = "facilitator"


class Invitation(Base):
    """A single-use, expiring invitation to join an assessment; only the token's hash is kept."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(200))
    invited_as: Mapped[InvitedAs] = mapped_column(_enum(InvitedAs), default=InvitedAs.RESPONDENT)
    group: Mapped[RespondentGroup] = mapped_column(_enum(RespondentGroup))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    assessment: Mapped[Assessment] = relationship()


class Reminder(Base):
    """A reminder sent to a person who had not submitted everything in a round (at most one a day)."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_assessment_user", "assessment_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEvent(Base):
    """Who did what to which record, and when."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    # Long enough for any email address (254) with a prefix such as "user:".
    subject: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiToken(Base):
    """A bearer token for the read-only API; only the SHA-256 hash of the token is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class SignInThrottle(Base):
    """Recent attempts for one throttle key (see services/throttle.py): a window's, or a growing delay's failures."""

    __tablename__ = "sign_in_throttle"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PasswordReset(Base):
    """A single-use, expiring password reset link; only the token's hash is kept."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class HeldForm(Base):
    """A form posted after its session ended, kept so that signing in again can save it; found by its key's hash."""

    __tablename__ = "held_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(2000))
    # The fields as posted, each name with its list of values (the CSRF token left out).
    fields: Mapped[list[list[Any]]] = mapped_column(JSON)
    # The person whose session ended: only they may have it back.
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
