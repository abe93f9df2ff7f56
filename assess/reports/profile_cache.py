"""The rendered maturity profile page body, kept per process under a key of what it shows.

Building and rendering a round's profile takes a couple of hundred milliseconds of CPU; one aggregate SQL
statement over everything the profile shows takes about one. The key is that statement's row with the
round's and council's own fields, the viewer (which response a profile takes its figures from depends on who
asks) and the date (the report shows it), so any change to what the page shows gives another key and nothing
is invalidated by hand (docs/adr/0009-pdfs-drawn-by-a-job-queue.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask
from flask_caching import Cache
from sqlalchemy import BindParameter, ColumnElement, String, bindparam, cast, func, select
from sqlalchemy.orm import Session

from assess.models import Answer, Assessment, Response, Score, Target, User
from assess.reports.html import RenderedReport


def _aggregates(assessment_id: BindParameter[int]) -> tuple[ColumnElement[Any], ...]:
    """Scalar subqueries that together change whenever anything the round's profile is built from does."""
    of_round = Response.assessment_id == assessment_id
    answers = select(Answer.id, Answer.changed_at).join(Response, Answer.response_id == Response.id) \
        .where(of_round).subquery()
    scores = select(Score.id, Score.computed_at).join(Response, Score.response_id == Response.id) \
        .where(of_round).subquery()
    # Targets and names have no timestamp: their values themselves go into the key.
    target = Target.questionnaire_id + ":" + Target.section_id + ":" + cast(Target.level, String)
    return (
        select(func.count()).where(of_round).scalar_subquery(),
        select(func.max(Response.updated_at)).where(of_round).scalar_subquery(),
        select(func.max(Response.id)).where(of_round).scalar_subquery(),
        select(func.count()).select_from(answers).scalar_subquery(),
        select(func.max(answers.c.changed_at)).scalar_subquery(),
        select(func.max(answers.c.id)).scalar_subquery(),
        select(func.count()).select_from(scores).scalar_subquery(),
        select(func.max(scores.c.computed_at)).scalar_subquery(),
        select(func.max(scores.c.id)).scalar_subquery(),
        select(func.aggregate_strings(target, "|")).where(Target.assessment_id == assessment_id).scalar_subquery(),
        select(func.aggregate_strings(User.name, "|")).join(Response, Response.respondent_id == User.id)
        .where(of_round).scalar_subquery(),
    )


#: Built once (building the statement costs more than running it); the round's id is its one parameter.
_CONTENT = select(*_aggregates(bindparam("round_id")))


def content_key(session: Session, assessment: Assessment, viewer: tuple[object, ...]) -> str:
    """A key for exactly what this viewer's profile of the round shows, in one SQL statement.

    The round and council fields come from the already loaded ``assessment`` (with its organisation and
    questionnaire links); ``viewer`` is whatever decides whose figures the viewer sees.
    """
    row = session.execute(_CONTENT, {"round_id": assessment.id}).one()
    organisation = assessment.organisation
    shown = (
        tuple(row), viewer, date.today(),
        (assessment.id, assessment.title, assessment.status, assessment.published_at, assessment.created_at,
         assessment.opens_on, assessment.closes_on),
        (organisation.code, organisation.name, organisation.official_name, organisation.type, organisation.region),
        tuple((link.questionnaire_version_id, link.position) for link in assessment.questionnaires),
    )
    return hashlib.sha256(repr(shown).encode()).hexdigest()


def profile_cache(app: Flask) -> Cache:
    """Rendered profile bodies in this process's memory (PROFILE_CACHE_PAGES of them, then the oldest go)."""
    cache: Cache | None = app.extensions.get("assess.profile_cache")
    if cache is None:
        cache = app.extensions["assess.profile_cache"] = Cache(app, config={
            "CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 0,  # never stale: a changed profile has another key
            "CACHE_THRESHOLD": app.config["PROFILE_CACHE_PAGES"],
        })
    return cache


def cached_body(app: Flask, key: str, render: Callable[[], RenderedReport]) -> RenderedReport:
    """The rendered profile kept under ``key``, rendering it (``render``) only the first time."""
    cache = profile_cache(app)
    rendered: RenderedReport | None = cache.get(key)
    if rendered is None:
        rendered = render()
        cache.set(key, rendered)
    return rendered
