"""The `assess` command line: Flask's CLI with the service's own commands."""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import date
from pathlib import Path

import click
from alembic import command as alembic_command
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from sqlalchemy.exc import IntegrityError

from assess import configured_app, create_app, db, questionnaire_library
from assess.answers import answers_from_mapping
from assess.config import SHIPPED_QUESTIONNAIRES
from assess.doctor import checks
from assess.encryption import InvalidToken
from assess.jobs import run_worker
from assess.library import LibraryError, load_file, load_paths, read_yaml
from assess.mail import MailError, compose, send
from assess.migrations import alembic_config, current_revision, head, next_revision_id
from assess.models import ApiToken, Assessment, InvitedAs, OrganisationRole, RespondentGroup, SiteRole, User
from assess.policy import NotAllowed
from assess.reports import sector as sector_tables
from assess.reports.commands import report_command
from assess.reports.sector_pdf import render_sector_pdf
from assess.services import demo as demo_service
from assess.services import portability
from assess.services import sector as sector_service
from assess.services import simulate as simulate_service
from assess.services import tokens as token_service
from assess.services.invitations import InvitationRefused, invite, mark_sent, parse_addresses, parse_csv
from assess.services.notifications import invitation_email
from assess.services.organisations import RegisterError, import_register, organisation_by_code, read_register
from assess.services.passwords import rotate_secrets
from assess.services.personal_data import apply_retention
from assess.services.questionnaires import (
    VersionConflict,
    change_status,
    record_library,
    recorded_version,
    recorded_versions,
    rounds_using,
)
from assess.services.responses import fixed_by_publication, out_of_date, submitted_responses
from assess.services.responses import rescore as rescore_responses
from assess.services.rounds import NotAFacilitator, assign_facilitator
from assess.services.users import (
    MINIMUM_PASSWORD_LENGTH,
    UnusableEmail,
    UnusablePassword,
    add_membership,
    add_user,
    user_by_email,
)
from assess.web.sector import FilterError, read_filters
from scoring import Profile, get_scorer


def _create_app() -> Flask:
    """The app for commands that need one; a broken library is reported, not a traceback."""
    try:
        return create_app()
    except LibraryError as error:
        raise click.ClickException(f"the questionnaire library has problems:\n{error}") from None


class _Group(FlaskGroup):
    """Flask's group, except that listing the commands (for --help) survives a broken library."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except click.ClickException as error:
            # Flask would print a traceback here; `validate` (which needs no app) lists the problems.
            first_line = error.format_message().splitlines()[0].rstrip(":")
            click.secho(f"Error: {first_line}; run `assess validate` to list them.\n", err=True, fg="red")
            return sorted(AppGroup.list_commands(self, ctx))
        return super().list_commands(ctx)


@click.group(cls=_Group, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Self-assessment maturity questionnaires for English councils."""


def _settings_app() -> Flask:
    """The app as far as its settings and database, even when the questionnaire library has problems."""
    try:
        return click.get_current_context().ensure_object(ScriptInfo).load_app()
    except click.ClickException:
        # The library has problems; the command at hand does not need it.
        return configured_app()


@main.command(with_appcontext=False)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check questionnaire files or folders (default: the configured library); print every problem as FILE:LINE:COL."""
    targets = list(paths) or [Path(_settings_app().config["QUESTIONNAIRES"])]
    loaded, problems = load_paths(targets)
    for problem in sorted(problems):
        click.echo(str(problem))
    invalid = len({p.file for p in problems})
    click.echo(f"{len(loaded)} valid, {invalid} invalid", err=True)
    sys.exit(1 if problems else 0)


@main.command(with_appcontext=False)
@click.argument("questionnaire_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("answers_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
def score(questionnaire_file: Path, answers_file: Path, as_json: bool) -> None:
    """Score one set of answers (question id -> value, `n/a` for not applicable) without a database."""
    loaded, problems = load_file(questionnaire_file)
    if loaded is None:
        for problem in problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    # Read the way questionnaires are read, so `yes`/`no`/`on` stay the text they look like.
    try:
        raw, yaml_problems = read_yaml(answers_file.read_text(encoding="utf-8"), str(answers_file))
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{answers_file}: cannot read the file: {error}") from None
    if yaml_problems:
        for yaml_problem in yaml_problems:
            click.echo(str(yaml_problem), err=True)
        sys.exit(1)
    raw = raw or {}
    if not isinstance(raw, dict):
        raise click.UsageError(f"{answers_file}: expected a mapping of question id to answer")
    questionnaire = loaded.questionnaire
    answers, answer_problems = answers_from_mapping(questionnaire, raw)
    if answer_problems:
        for answer_problem in answer_problems:
            click.echo(f"{answers_file}: {answer_problem}", err=True)
        sys.exit(1)
    profile = get_scorer(questionnaire.scoring.method).score(questionnaire, answers)
    click.echo(json.dumps(profile.to_dict(), indent=2) if as_json else _profile_table(profile))


def _profile_table(profile: Profile) -> str:
    def level(label: str | None, value: float | None) -> str:
        shown = label or "not enough answers"
        return f"{shown} ({value:g})" if value is not None else shown

    width = max([len(s.id) for s in profile.sections] + [len("Overall")])
    lines = [f"{profile.questionnaire_id} version {profile.version}, scored by {profile.method}", ""]
    for section in profile.sections:
        lines.append(f"{section.id:<{width}}  {level(section.label, section.value):<28}  "
                     f"{section.answered}/{section.applicable} answered  {section.explanation}")
    lines += ["", f"{'Overall':<{width}}  {level(profile.label, profile.value)}  {profile.explanation}"]
    return "\n".join(lines)


@main.group(name="db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command(with_appcontext=False)
def upgrade() -> None:
    """Bring the database schema up to date (Alembic migrations); needs no questionnaire library."""
    app = _settings_app()
    with app.app_context():
        alembic_command.upgrade(alembic_config(db.engine()), "head")
    click.echo("Database is up to date.")
    library = Path(app.config["QUESTIONNAIRES"])
    _, problems = load_paths([library])
    if problems:
        click.secho(f"Note: the questionnaire library {library} has {len(problems)} problem(s), so the app will not "
                    "start; run `assess validate` to list them.", err=True, fg="yellow")


@db_group.command(with_appcontext=False)
@click.option("-m", "--message", required=True, help="What the change does, for example 'add invitations'.")
@click.option("--empty", is_flag=True, help="Write an empty revision (no comparison of models and database).")
def revision(message: str, empty: bool) -> None:
    """Write a new migration: the differences between the models and an up-to-date database."""
    with _settings_app().app_context():
        config = alembic_config(db.engine())
        if not empty and current_revision(db.engine()) != head(config):
            raise click.ClickException("the database is not up to date: run `assess db upgrade` first, so the "
                                       "new revision holds only the new changes")
        script = alembic_command.revision(config, message=message, autogenerate=not empty,
                                          rev_id=next_revision_id(config))
    path = script.path if script is not None and not isinstance(script, list) else "?"
    click.echo(f"Wrote {path}: review it (rename constraints, move data) before you commit it.")


@db_group.command(with_appcontext=False)
def current() -> None:
    """Print the database's schema revision and the newest one."""
    with _settings_app().app_context():
        now, newest = current_revision(db.engine()), head(alembic_config(db.engine()))
    click.echo(f"{now or 'none (empty database)'}" + (" (up to date)" if now == newest else f"; newest is {newest}"))


@main.group()
def questionnaires() -> None:
    """Work with the questionnaire library."""


@questionnaires.command()
def sync() -> None:
    """Record every questionnaire in the library as a version that responses can point at."""
    session = db.session()
    try:
        recorded = record_library(session, questionnaire_library(current_app))
    except VersionConflict as conflict:
        click.echo(str(conflict), err=True)
        sys.exit(1)
    session.commit()
    for item in recorded:
        click.echo(f"{item.outcome:<9}  {item.file.questionnaire.id} version {item.file.questionnaire.version}")


@questionnaires.command(name="versions")
def versions_command() -> None:
    """List every recorded questionnaire version with its status and how many rounds use it."""
    session = db.session()
    using = rounds_using(session)
    for version in recorded_versions(session):
        click.echo(f"{version.questionnaire_id:<32} version {version.version:<3} {version.status.value:<8} "
                   f"{len(using.get(version.id, []))} round(s)  {version.title}")


def _change_version_status(change: str, questionnaire_id: str, number: int, by_email: str) -> None:
    """Offer or retire a recorded version on the authority of an admin, or say clearly why not."""
    session = db.session()
    by = user_by_email(session, by_email)
    if by is None:
        raise click.ClickException(f"no account has the email {by_email}")
    version = recorded_version(session, questionnaire_id, number)
    if version is None:
        raise click.ClickException(f"'{questionnaire_id}' version {number} is not recorded "
                                   "(`assess questionnaires versions` lists those that are)")
    try:
        changed = change_status(session, version, change, by)
    except NotAllowed:
        raise click.ClickException(f"{by.email} is not an admin") from None
    session.commit()
    status = version.status.value
    click.echo(f"'{questionnaire_id}' version {number} is {'now' if changed else 'already'} {status}")


def _status_command(change: str, summary: str) -> None:
    """Add `assess questionnaires CHANGE ID VERSION --by EMAIL` (offer or retire)."""
    @questionnaires.command(name=change, help=summary)
    @click.argument("questionnaire_id")
    @click.argument("number", type=click.IntRange(1, 2**31 - 1), metavar="VERSION")
    @click.option("--by", "by_email", required=True, help="Email of the admin making the change (audited).")
    def command(questionnaire_id: str, number: int, by_email: str) -> None:
        _change_version_status(change, questionnaire_id, number, by_email)


_status_command("offer", "Offer a recorded version for new rounds (the highest offered version is used).")
_status_command("retire", "Stop offering a recorded version for new rounds; rounds already using it keep it.")


@questionnaires.command(with_appcontext=False)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def copy(folder: Path) -> None:
    """Copy the standard questionnaire library installed with assess into FOLDER, to keep and change your own."""
    if folder.exists() and any(folder.iterdir()):
        raise click.ClickException(f"{folder} is not empty: choose a new folder, so that nothing is overwritten")
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(SHIPPED_QUESTIONNAIRES.glob("*.yaml"))
    for file in files:
        shutil.copy2(file, folder / file.name)
    click.echo(f"Copied {len(files)} questionnaires to {folder}; set ASSESS_QUESTIONNAIRES={folder} to use them.")


@main.group()
def orgs() -> None:
    """Manage organisations (councils)."""


@orgs.command(name="import")
@click.argument("register", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_organisations(register: Path) -> None:
    """Import or update organisations from a register CSV (code, name, type, region, ...)."""
    try:
        rows, count = read_register(register)
    except RegisterError as error:
        raise click.ClickException(str(error)) from None
    with click.progressbar(length=count, label="Importing organisations", file=sys.stderr) as bar:
        summary = import_register(db.session(), rows, progress=lambda: bar.update(1))
    db.session().commit()
    for problem in summary.skipped:
        click.echo(f"{register}: {problem}", err=True)
    click.echo(f"{summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged, "
               f"{len(summary.skipped)} skipped")


@main.group()
def users() -> None:
    """Manage user accounts."""


@users.command(name="add")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters (asked for if not given).")
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in SiteRole]),
              help="A site role; repeat for several.")
@click.option("--member-of", "organisation_code", help="Code of an organisation to join.")
@click.option("--org-role", type=click.Choice([r.value for r in OrganisationRole]), default="respondent",
              show_default=True)
@click.option("--group", type=click.Choice([g.value for g in RespondentGroup]), default="officer", show_default=True)
def add_user_command(email: str, name: str, password: str, roles: tuple[str, ...], organisation_code: str | None,
                     org_role: str, group: str) -> None:
    """Create a user (or update one with the same email), with site roles and a membership."""
    session = db.session()
    try:
        user = add_user(session, email, name, password, [SiteRole(r) for r in roles])
    except UnusableEmail as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from None
    except UnusablePassword as error:
        raise click.BadParameter(str(error), param_hint="--password") from None
    if organisation_code:
        organisation = organisation_by_code(session, organisation_code)
        if organisation is None:
            raise click.BadParameter(f"no organisation has the code {organisation_code!r}", param_hint="--member-of")
        add_membership(session, user, organisation, OrganisationRole(org_role), RespondentGroup(group))
    session.commit()
    click.echo(f"Saved {user.email}" + (f" (member of {organisation_code})" if organisation_code else ""))


@main.command()
@click.option("--password", help="Give every demo account this password (otherwise each gets a random one).")
def demo(password: str | None) -> None:
    """Create the demo council (code DEMO), its accounts and a round to look at; prints the accounts."""
    if password is not None and len(password) < MINIMUM_PASSWORD_LENGTH:
        raise click.BadParameter(f"passwords must be at least {MINIMUM_PASSWORD_LENGTH} characters long",
                                 param_hint="--password")
    session = db.session()
    try:
        made = demo_service.create_demo(session, questionnaire_library(current_app), password)
    except VersionConflict as conflict:
        click.echo(str(conflict), err=True)
        sys.exit(1)
    session.commit()
    for issued in made.invitations:
        try:
            send(invitation_email(issued, made.lead))
        except MailError as error:
            click.echo(f"Warning: {error}", err=True)
        else:
            mark_sent(issued.invitation)
    session.commit()
    click.echo(demo_service.describe(made))


@main.command()
@click.option("--dry-run", is_flag=True, help="Show what would change and change nothing.")
@click.option("--all", "every", is_flag=True,
              help="Rescore every submitted response, not only those scored by another scorer, version or options.")
@click.option("--include-published", is_flag=True,
              help="Rescore published rounds too (their levels are fixed otherwise, and shown to the sector).")
def rescore(dry_run: bool, every: bool, include_published: bool) -> None:
    """Rescore the submitted responses a change of scorer or file affects, and list each score that changes."""
    session = db.session()
    submitted = submitted_responses(session)
    affected = submitted if every else [response for response in submitted if out_of_date(response)]
    responses = [response for response in affected if include_published or not fixed_by_publication(response)]
    with click.progressbar(length=len(responses), label="Rescoring", file=sys.stderr) as bar:
        changes = []
        for chunk in range(0, len(responses), 100):
            batch = responses[chunk:chunk + 100]
            changes += rescore_responses(session, batch, include_published)
            bar.update(len(batch))
    for change in changes:
        click.echo(f"round '{change.round_title}' ({change.round_uid}) response {change.response_id} "
                   f"{change.questionnaire_id} v{change.questionnaire_version} {change.section_id or '(overall)'}: "
                   f"{change.before} -> {change.after}")
    checked = f"{len(submitted)} submitted response(s), {len(responses)} rescored"
    if len(affected) > len(responses):
        checked += (f", {len(affected) - len(responses)} in published rounds left as published "
                    "(--include-published to rescore them)")
    if dry_run:
        session.rollback()
        click.echo(f"{checked}, {len(changes)} score(s) would change; nothing was saved")
    else:
        session.commit()
        click.echo(f"{checked}, {len(changes)} score(s) changed")


@main.command()
def retention() -> None:
    """Anonymise individual answers of rounds published longer ago than INDIVIDUAL_ANSWERS_RETENTION_DAYS."""
    days = current_app.config["INDIVIDUAL_ANSWERS_RETENTION_DAYS"]
    if days is None:
        click.echo("INDIVIDUAL_ANSWERS_RETENTION_DAYS is not set: individual answers are kept")
        return
    session = db.session()
    count = apply_retention(session, int(days))
    session.commit()
    click.echo(f"{count} individual response(s) anonymised (rounds published more than {days} days ago)")


@main.group()
def secrets() -> None:
    """Secrets kept encrypted at rest (two-factor secrets)."""


@secrets.command(name="rotate")
def rotate_secrets_command() -> None:
    """Encrypt every stored secret again under the first key of ENCRYPTION_KEY (after adding or changing a key)."""
    session = db.session()
    try:
        count = rotate_secrets(session)
    except InvalidToken:
        raise click.ClickException("a stored secret cannot be decrypted with the keys in force (was a key removed "
                                   "from ENCRYPTION_KEY, or SECRET_KEY changed?); nothing was changed") from None
    session.commit()
    click.echo(f"{count} two-factor secret(s) encrypted again under the first key in force")


@main.group()
def rounds() -> None:
    """Work with assessment rounds."""


def _round_and_people(code: str, round_id: int, *emails: str) -> tuple[Assessment, list[User]]:
    """A council's round and the accounts with these emails, or a clear error."""
    session = db.session()
    assessment = session.get(Assessment, round_id) if 0 < round_id < 2**31 else None
    if assessment is None or assessment.organisation.code != code:
        raise click.ClickException(f"{code} has no round with id {round_id}")
    people = []
    for email in emails:
        person = user_by_email(session, email)
        if person is None:
            raise click.ClickException(f"no account has the email {email}")
        people.append(person)
    return assessment, people


@rounds.command(name="assign-facilitator")
@click.argument("organisation_code")
@click.argument("round_id", type=int)
@click.argument("facilitator_email")
@click.option("--by", "by_email", required=True, help="Email of the council's lead or an admin making the assignment.")
def assign_facilitator_command(organisation_code: str, round_id: int, facilitator_email: str, by_email: str) -> None:
    """Assign a facilitator to a council's round, on the authority of its lead or an admin."""
    assessment, (facilitator, by) = _round_and_people(organisation_code, round_id, facilitator_email, by_email)
    try:
        assign_facilitator(db.session(), assessment, facilitator, by)
    except NotAllowed:
        raise click.ClickException(f"{by.email} is neither {organisation_code}'s lead nor an admin") from None
    except NotAFacilitator as error:
        raise click.ClickException(str(error)) from None
    db.session().commit()
    click.echo(f"{facilitator.email} now facilitates '{assessment.title}' ({organisation_code})")


@main.command(name="invite")
@click.argument("organisation_code")
@click.argument("people", nargs=-1, required=True)
@click.option("--round", "round_id", type=int, required=True, help="The round's id.")
@click.option("--group", type=click.Choice([g.value for g in RespondentGroup]), default="officer", show_default=True,
              help="The group of everyone invited (a CSV's group column overrides it).")
@click.option("--as", "invited_as", type=click.Choice([i.value for i in InvitedAs]), default="respondent",
              show_default=True)
@click.option("--by", "by_email", required=True, help="Email of the council's lead (or an admin, for facilitators).")
def invite_command(organisation_code: str, people: tuple[str, ...], round_id: int, group: str, invited_as: str,
                   by_email: str) -> None:
    """Invite people to a round and email each a link: PEOPLE is a CSV file (name, email, group) or email addresses."""
    assessment, (by,) = _round_and_people(organisation_code, round_id, by_email)
    default_group = RespondentGroup(group)
    if len(people) == 1 and Path(people[0]).is_file():
        try:
            invitees, problems = parse_csv(Path(people[0]).read_text(encoding="utf-8-sig"), default_group)
        except UnicodeDecodeError:
            raise click.ClickException(f"{people[0]} is not a CSV file saved as UTF-8 text") from None
    else:
        invitees, problems = parse_addresses("\n".join(people), default_group)
    for problem in problems:
        click.echo(f"{people[0] if len(people) == 1 else 'addresses'}: {problem}", err=True)
    if problems or not invitees:
        raise click.ClickException("nobody was invited: correct the problems above")
    session = db.session()
    try:
        issued = invite(session, assessment, invitees, by, current_app.config["INVITATION_DAYS"], InvitedAs(invited_as))
    except NotAllowed:
        raise click.ClickException(f"{by.email} may not invite people to this round") from None
    except InvitationRefused as refused:
        raise click.ClickException(str(refused)) from None
    session.commit()
    failed = []
    with click.progressbar(issued, label="Sending invitations", file=sys.stderr) as bar:
        for item in bar:
            try:
                send(invitation_email(item, by))
            except MailError as error:
                failed.append(str(error))
            else:
                mark_sent(item.invitation)
    session.commit()
    for failure in failed:
        click.echo(failure, err=True)
    click.echo(f"{len(issued) - len(failed)} of {len(issued)} invitation(s) sent for '{assessment.title}'")
    if failed:
        sys.exit(1)


@main.command(name="export")
@click.argument("organisation_code")
@click.option("--round", "round_id", type=int, required=True, help="The round's id.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="The JSON file to write.")
def export_command(organisation_code: str, round_id: int, out: Path) -> None:
    """Write a round, with everything needed to import it into another installation, as one JSON file."""
    session = db.session()
    assessment = portability.round_for_export(session, round_id) if 0 < round_id < 2**31 else None
    if assessment is None or assessment.organisation.code != organisation_code:
        raise click.ClickException(f"{organisation_code} has no round with id {round_id}")
    with click.progressbar(length=len(assessment.responses), label="Exporting responses", file=sys.stderr) as bar:
        document = portability.export_round(session, assessment, progress=lambda: bar.update(1))
    # Answers, comments and names: readable by the file's owner only (a file already there keeps its mode).
    with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        handle.write(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    session.commit()
    click.echo(f"Wrote {out}: '{assessment.title}' ({organisation_code}), {len(document['responses'])} response(s), "
               f"{len(document['people'])} people, round uid {assessment.uid}")


@main.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Add a round written by `assess export` (all of it, or nothing if anything conflicts)."""
    session = db.session()
    try:
        document = portability.read_export(file.read_text(encoding="utf-8"))
        with click.progressbar(length=len(document["responses"]), label="Importing responses",
                               file=sys.stderr) as bar:
            imported = portability.import_round(session, document, progress=lambda: bar.update(1))
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not a JSON file saved as UTF-8 text; nothing was imported") from None
    except portability.ImportRefused as refused:
        session.rollback()
        raise click.ClickException(f"{file}: nothing was imported:\n{refused}") from None
    except IntegrityError as error:  # a conflict the checks did not foresee: still all or nothing
        session.rollback()
        raise click.ClickException(f"{file}: nothing was imported: the database refused it: {error.orig}") from None
    session.commit()
    assessment = imported.assessment
    click.echo(f"Imported '{assessment.title}' as round {assessment.id} of {assessment.organisation.code}: "
               f"{len(document['responses'])} response(s), {imported.new_people} new account(s) (without passwords: "
               f"they set one through 'Forgotten your password?'), {imported.new_versions} new questionnaire "
               "version(s)")


@main.group()
def mail() -> None:
    """Email settings."""


@mail.command(name="test")
@click.argument("email")
def mail_test(email: str) -> None:
    """Send a test message to EMAIL with the configured settings, to check that email works."""
    try:
        send(compose("test", email, f"Test message from {current_app.config['SERVICE_NAME']}"))
    except MailError as error:
        raise click.ClickException(str(error)) from None
    backend = current_app.config["MAIL_BACKEND"]
    click.echo(f"Sent a test message to {email} " + ("through " + current_app.config["MAIL_SERVER"]
                                                     if backend == "smtp" else "into the outbox folder"))


main.add_command(report_command)


@main.command(with_appcontext=False)
@click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="the CPU count",
              help="PDFs drawn at once (each a process: drawing is CPU work).")
@click.option("--nice", type=click.IntRange(0, 19), default=10, show_default=True,
              help="How much lower than the web servers' the workers' CPU priority is, so pages come first.")
def worker(workers: int, nice: int) -> None:
    """Draw queued PDFs beside the web servers until stopped (run it as a service of its own)."""
    app = _create_app()
    os.nice(nice)
    where = "Redis" if app.config["REDIS_URL"] else f"{app.instance_path}/jobs.sqlite"
    click.echo(f"Drawing the PDFs queued in {where}, {workers} at a time", err=True)
    run_worker(app, workers)


@main.group(name="sector")
def sector_group() -> None:
    """Sector figures over published, shared rounds."""


@sector_group.command(name="export")
@click.option("--format", "fmt", type=click.Choice([*sector_tables.FORMATS, "pdf"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option("--questionnaire", help="A questionnaire id (default: the first by title).")
@click.option("--section", help="A section id: its levels instead of the overall level.")
@click.option("--type", "council_type", help="Only councils of this type.")
@click.option("--region", help="Only councils in this region.")
@click.option("--from", "start", help="Only rounds published on or after this day (YYYY-MM-DD).")
@click.option("--to", "end", help="Only rounds published on or before this day (YYYY-MM-DD).")
@click.option("--targeting", is_flag=True, help="Export the targeting list instead of the dashboard's tables.")
def sector_export(fmt: str, out: Path, questionnaire: str | None, section: str | None, council_type: str | None,
                  region: str | None, start: str | None, end: str | None, targeting: bool) -> None:
    """Write the dashboard's tables (or the targeting list) as CSV, XLSX, JSON or PDF, with the disclosure rule."""
    arguments = {"questionnaire": questionnaire, "section": section, "type": council_type, "region": region,
                 "from": start, "to": end}
    try:
        chosen, filters = read_filters({k: v for k, v in arguments.items() if v}, default_questionnaire=True)
    except FilterError as error:
        raise click.BadParameter(str(error), param_hint=f"--{error.field}") from None
    assert chosen is not None
    session = db.session()
    threshold = int(current_app.config["SECTOR_THRESHOLD"])
    if targeting:
        rows = sector_service.targeting(session, filters, chosen, date.today())
        report = sector_tables.Report(f"Targeting: {chosen.title}", threshold, sector_tables.describe(filters),
                                      date.today(), [sector_tables.targeting_table(rows)],
                                      sector_service.holds_simulated(session))
    else:
        report = sector_tables.dashboard(session, filters, chosen, threshold, date.today())
    out.write_bytes(render_sector_pdf(report) if fmt == "pdf" else sector_tables.export(report, fmt))
    click.echo(f"Wrote {out} ({', '.join(t.key for t in report.tables)})")


@main.group()
def tokens() -> None:
    """API tokens: make, list and revoke."""


@tokens.command(name="create")
@click.argument("email")
@click.option("--name", required=True, help="What will use the token.")
def create_token_command(email: str, name: str) -> None:
    """Make an API token for a person and print it (once: only its hash is kept)."""
    session = db.session()
    user = user_by_email(session, email)
    if user is None or not user.active:
        raise click.BadParameter(f"no active account has the email {email!r}", param_hint="EMAIL")
    token, secret = token_service.create_token(session, user, name)
    session.commit()
    click.echo(f"Token {token.id} for {user.email} ({token.name}); copy it now, it is not shown again:", err=True)
    click.echo(secret)


@tokens.command(name="list")
@click.argument("email")
def list_tokens_command(email: str) -> None:
    """List a person's API tokens with their last use."""
    session = db.session()
    user = user_by_email(session, email)
    if user is None:
        raise click.BadParameter(f"no account has the email {email!r}", param_hint="EMAIL")
    for token in token_service.tokens_of(session, user):
        used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never used"
        state = f"revoked {token.revoked_at.date().isoformat()}" if token.revoked_at else "live"
        click.echo(f"{token.id}\t{token.name}\tmade {token.created_at.date().isoformat()}\t{used}\t{state}")


@tokens.command(name="revoke")
@click.argument("token_id", type=int)
def revoke_token_command(token_id: int) -> None:
    """Revoke an API token by its number."""
    session = db.session()
    token = session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None:
        raise click.BadParameter(f"there is no token {token_id}", param_hint="TOKEN_ID")
    token_service.revoke(session, token, token.user)
    session.commit()
    click.echo(f"Revoked token {token_id} ({token.name}) of {token.user.email}")


@main.command(name="simulate")
@click.option("--register", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A register CSV of the councils to simulate (imported first).")
@click.option("--seed", type=int, default=1, show_default=True, help="The same seed makes the same sector.")
@click.option("--rounds", type=click.IntRange(1, 10), default=2, show_default=True, help="Published rounds a council.")
@click.option("--remove", "remove_it", is_flag=True, help="Take every simulated round and account out again.")
def simulate_command(register: Path | None, seed: int, rounds: int, remove_it: bool) -> None:
    """Fill the database with a clearly marked simulated sector over a register, or remove it."""
    session = db.session()
    if remove_it:
        removed_rounds, accounts = simulate_service.remove(session)
        session.commit()
        click.echo(f"Removed {removed_rounds} simulated round(s) and {accounts} simulated account(s).")
        return
    if register is None:
        raise click.UsageError("give --register FILE.csv (or --remove)")
    if simulate_service.simulated_rounds(session):
        raise click.ClickException("the database already holds a simulated sector: run `assess simulate --remove` "
                                   "first")
    try:
        rows, count = read_register(register)
    except RegisterError as error:
        raise click.ClickException(str(error)) from None
    summary = import_register(session, rows)
    codes = [row["code"].strip() for row in rows]
    councils = [council for code in codes if (council := organisation_by_code(session, code)) is not None]
    with click.progressbar(length=len(councils), label="Simulating councils", file=sys.stderr) as bar:
        made = simulate_service.simulate(session, councils, questionnaire_library(current_app), seed=seed,
                                         rounds=rounds, progress=lambda: bar.update(1))
    session.commit()
    click.echo(f"Register: {count} row(s), {len(summary.skipped)} skipped. Simulated {made.councils} councils, "
               f"{made.rounds} published rounds, {made.responses} responses and {made.accounts} accounts "
               "(all marked simulated).")


@main.command(with_appcontext=False)
def doctor() -> None:
    """Print the settings in force (instance folder, database, questionnaire library) and check each."""
    results = checks(_settings_app())
    for name, what, ready in results:
        click.echo(f"{name:<17}  {what}" + ("" if ready else "  [needs attention]"))
    sys.exit(0 if all(ready for _, _, ready in results) else 1)
