"""Post orders and emergency response plans: versions, the agency's review, acknowledgements."""

import hashlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Site, User
from audit import services as audit
from incidents.models import Category
from preparedness import policy, selectors
from preparedness.models import Acknowledgement, Plan, PlanAttachment, PlanComment, PlanVersion, Scenario
from preparedness.services.common import clean_sections, require, text

Status = PlanVersion.Status
ATTACHMENT_LIMIT = 10 * 1024 * 1024


def _locked(version: PlanVersion) -> PlanVersion:
    return PlanVersion.objects.select_for_update().select_related("plan__site").get(pk=version.pk)


@transaction.atomic
def create_plan(
    *,
    by: User,
    site: Site,
    kind: str,
    title: str,
    sections: list[tuple[str, str]],
    scenario: str = "",
    categories: Iterable[Category] = (),
) -> Plan:
    """A site's post orders or its ERP for a scenario, with its first version as a draft."""
    require(policy.can_write_plan(by, site), "Only the site's provider writes its post orders and plans.")
    if kind not in Plan.Kind.values:
        raise ValidationError({"kind": "Choose post orders or an emergency response plan."})
    if kind == Plan.Kind.ERP and scenario not in Scenario.values:
        raise ValidationError({"scenario": "Choose the scenario this plan answers."})
    if kind == Plan.Kind.POST_ORDERS:
        scenario = ""
    if Plan.objects.filter(site=site, kind=kind, scenario=scenario).exists():
        raise ValidationError("This site has that plan already: write a new version of it instead.")
    plan = Plan.objects.create(
        site=site, kind=kind, scenario=scenario, title=text(title, "title", 200, required=True), created_by=by
    )
    plan.categories.set(categories)
    version = PlanVersion.objects.create(
        plan=plan, number=1, sections=clean_sections(sections), written_by=by
    )
    audit.record(action="plan.created", actor=by, obj=plan, version=version.number)
    return plan


@transaction.atomic
def edit_version(*, version: PlanVersion, by: User, sections: list[tuple[str, str]]) -> PlanVersion:
    """Change a draft's sections (a version in force, or waiting for approval, is frozen)."""
    current = _locked(version)
    require(policy.can_write_plan(by, current.plan.site), "Only the site's provider edits its plans.")
    if current.status != Status.DRAFT:
        raise ValidationError(
            f"Version {current.number} is {current.get_status_display().lower()}: "
            "write a new version to change it."
        )
    current.sections = clean_sections(sections)
    current.save(update_fields=["sections"])
    audit.record(action="plan.edited", actor=by, obj=current)
    return current


@transaction.atomic
def start_new_version(*, plan: Plan, by: User) -> PlanVersion:
    """A new draft, a copy of the newest version; the version in force stays in force until the
    new one is published or approved."""
    require(policy.can_write_plan(by, plan.site), "Only the site's provider writes its plans.")
    Plan.objects.select_for_update().get(pk=plan.pk)
    latest = selectors.latest_version(plan)
    assert latest is not None
    if not latest.is_frozen:
        raise ValidationError(f"Version {latest.number} is not in force yet: change that one.")
    version = PlanVersion.objects.create(
        plan=plan, number=latest.number + 1, sections=latest.sections, written_by=by
    )
    audit.record(action="plan.version_started", actor=by, obj=version, number=version.number)
    return version


@transaction.atomic
def publish_post_orders(*, version: PlanVersion, by: User) -> PlanVersion:
    """Post orders are the provider's: its supervisor publishes a draft, which puts it in force."""
    current = _locked(version)
    require(policy.can_write_plan(by, current.plan.site), "Only the site's provider publishes post orders.")
    if current.plan.is_erp:
        raise ValidationError("An emergency response plan is approved by the agency, not published.")
    if current.status != Status.DRAFT:
        raise ValidationError("Only a draft is published.")
    current.status = Status.PUBLISHED
    current.in_force_at = timezone.now()
    current.in_force_by = by
    current.save()
    audit.record(action="plan.published", actor=by, obj=current, number=current.number)
    return current


@transaction.atomic
def submit_for_approval(*, version: PlanVersion, by: User) -> PlanVersion:
    """An ERP draft goes to the partnering agency's liaisons for review."""
    current = _locked(version)
    require(policy.can_write_plan(by, current.plan.site), "Only the site's provider submits its plans.")
    if not current.plan.is_erp:
        raise ValidationError("Post orders are published by the provider, not sent for approval.")
    if current.plan.site.agency_id is None:
        raise ValidationError("The site has no partnering agency to approve the plan.")
    if current.status != Status.DRAFT:
        raise ValidationError("Only a draft is sent for approval.")
    current.status = Status.IN_REVIEW
    current.submitted_at = timezone.now()
    current.save()
    audit.record(action="plan.submitted", actor=by, obj=current, number=current.number)
    return current


@transaction.atomic
def comment_on_version(*, version: PlanVersion, by: User, comment: str) -> PlanComment:
    """The liaison's (or the provider's) comment on a version."""
    current = _locked(version)
    plan = current.plan
    require(
        policy.can_review_plan(by, plan) or policy.can_write_plan(by, plan.site),
        "Only the site's provider and its partnering agency comment on its plans.",
    )
    require(policy.can_see_version(by, current), "Only the site's provider sees a draft.")
    body = text(comment, "comment", 4000, required=True)
    made = PlanComment.objects.create(version=current, author=by, text=body)
    audit.record(action="plan.commented", actor=by, obj=current)
    return made


@transaction.atomic
def approve_version(*, version: PlanVersion, by: User) -> PlanVersion:
    """The agency's liaison approves an ERP version: it is frozen and in force; the one before is
    superseded (a new version needs a new approval)."""
    current = _locked(version)
    require(policy.can_review_plan(by, current.plan), "Only the partnering agency's liaisons approve plans.")
    require(policy.can_see_version(by, current), "The provider has not sent this version yet.")
    if current.status != Status.IN_REVIEW:
        raise ValidationError(f"Version {current.number} is {current.get_status_display().lower()}.")
    current.status = Status.APPROVED
    current.in_force_at = timezone.now()
    current.in_force_by = by
    current.save()
    audit.record(action="plan.approved", actor=by, obj=current, number=current.number)
    return current


@transaction.atomic
def return_version(*, version: PlanVersion, by: User, comment: str) -> PlanVersion:
    """The liaison sends an ERP version back to the provider with what to change."""
    current = _locked(version)
    require(policy.can_review_plan(by, current.plan), "Only the partnering agency's liaisons review plans.")
    require(policy.can_see_version(by, current), "The provider has not sent this version yet.")
    if current.status != Status.IN_REVIEW:
        raise ValidationError("Only a version waiting for approval is sent back.")
    PlanComment.objects.create(version=current, author=by, text=text(comment, "comment", 4000, required=True))
    current.status = Status.DRAFT
    current.save(update_fields=["status"])
    audit.record(action="plan.returned", actor=by, obj=current, number=current.number)
    return current


@transaction.atomic
def attach_file(*, version: PlanVersion, by: User, upload: UploadedFile) -> PlanAttachment:
    """A PDF on a draft (checked by its content, not its name)."""
    current = _locked(version)
    require(policy.can_write_plan(by, current.plan.site), "Only the site's provider adds attachments.")
    if current.status != Status.DRAFT:
        raise ValidationError("Attachments are added to a draft; this version is frozen.")
    if upload.size is None or upload.size > ATTACHMENT_LIMIT:
        raise ValidationError({"file": "Attach a PDF of at most 10 MB."})
    content = upload.read()
    if not content.startswith(b"%PDF-"):
        raise ValidationError({"file": "Only PDF files are attached (this file is not a PDF)."})
    name = text(upload.name, "file", 200) or "attachment.pdf"
    made = PlanAttachment.objects.create(
        version=current,
        name=name,
        content=content,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        added_by=by,
    )
    audit.record(action="plan.attachment_added", actor=by, obj=current, sha256=made.sha256)
    return made


@transaction.atomic
def acknowledge_version(*, version: PlanVersion, by: User) -> Acknowledgement:
    """A guard read the version in force at their site (once; again it changes nothing)."""
    current = _locked(version)
    require(policy.can_acknowledge(by, current), "Only the site's guards acknowledge what is in force.")
    if selectors.current_version(current.plan) != current:
        raise ValidationError("A newer version is in force: read that one.")
    ack, created = Acknowledgement.objects.get_or_create(
        version=current, user=by, defaults={"at": timezone.now()}
    )
    if created:
        audit.record(action="plan.acknowledged", actor=by, obj=current, number=current.number)
    return ack
