"""Reads of bulletins, already scoped by bulletins/policy.py."""

import uuid
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Role, Site, User
from accounts.policy import AnyUser
from bulletins import policy
from bulletins.models import Bulletin, BulletinPhoto, ReadReceipt, Sighting


def _current(bulletins: QuerySet[Bulletin]) -> QuerySet[Bulletin]:
    return bulletins.filter(superseded_at__isnull=True).select_related("agency", "published_by")


def list_live_bulletins(*, for_user: AnyUser) -> QuerySet[Bulletin]:
    """The live ones for the user's sites (or the agency's own): current, not cancelled, not expired,
    each with its first photo's id (``thumbnail``, in the same query) for the banner and the list."""
    first_photo = BulletinPhoto.objects.filter(
        series=OuterRef("series"), bulletin__version__lte=OuterRef("version")
    ).order_by("uploaded_at", "pk")
    return (
        _current(policy.visible_bulletins(for_user))
        .exclude(msg_type=Bulletin.MsgType.CANCEL)
        .filter(expires_at__gt=timezone.now())
        .annotate(thumbnail=Subquery(first_photo.values("public_id")[:1]))
        .order_by("-published_at")
    )


def search_bulletins(*, for_user: AnyUser, query: str = "", include_live: bool = True) -> QuerySet[Bulletin]:
    """Every current version the user may see, expired and cancelled ones too, matching ``query``
    in the title, description, plate or where last seen."""
    found = _current(policy.visible_bulletins(for_user))
    if query:
        found = found.filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Q(plate__icontains=query)
            | Q(last_seen_where__icontains=query)
        )
    if not include_live:
        found = found.filter(Q(expires_at__lte=timezone.now()) | Q(msg_type=Bulletin.MsgType.CANCEL))
    return found.order_by("-published_at")


def get_bulletin(*, bulletin_id: uuid.UUID | str, for_user: AnyUser) -> Bulletin:
    """One version the user may see (raises Bulletin.DoesNotExist)."""
    return (
        policy.visible_bulletins(for_user).select_related("agency", "published_by").get(public_id=bulletin_id)
    )


def list_versions(*, bulletin: Bulletin) -> QuerySet[Bulletin]:
    """Every version of the bulletin's series, newest first."""
    return Bulletin.objects.filter(series=bulletin.series).select_related("published_by").order_by("-version")


def list_photos(*, bulletin: Bulletin) -> QuerySet[BulletinPhoto]:
    """The photos a version shows: its own and those of the versions before it."""
    return BulletinPhoto.objects.filter(
        series=bulletin.series, bulletin__version__lte=bulletin.version
    ).select_related("bulletin")


def get_photo(*, bulletin: Bulletin, photo_id: uuid.UUID | str) -> BulletinPhoto:
    """One photo the version shows (raises BulletinPhoto.DoesNotExist)."""
    return list_photos(bulletin=bulletin).get(public_id=photo_id)


def answer_sites(*, bulletin: Bulletin, for_user: AnyUser) -> QuerySet[Site]:
    """The user's sites the bulletin reached: where they can read it or report a sighting."""
    return bulletin.sites.filter(pk__in=policy.bulletin_sites(for_user)).order_by("name")


def has_read(*, bulletin: Bulletin, user: User) -> bool:
    return ReadReceipt.objects.filter(bulletin=bulletin, user=user).exists()


def read_ids(*, bulletins: list[Bulletin], user: AnyUser) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        ReadReceipt.objects.filter(bulletin__in=bulletins, user_id=user.pk).values_list(
            "bulletin_id", flat=True
        )
    )


@dataclass(frozen=True)
class SiteReceipts:
    site: Site
    receipts: list[ReadReceipt]
    expected: list[User]

    @property
    def unread(self) -> list[User]:
        read = {receipt.user_id for receipt in self.receipts}
        return [user for user in self.expected if user.pk not in read]


def list_receipts_by_site(*, bulletin: Bulletin) -> list[SiteReceipts]:
    """Who of which site read it and when, and who has not yet (its assigned guards)."""
    receipts = list(ReadReceipt.objects.filter(bulletin=bulletin).select_related("user", "site"))
    rows = []
    for site in bulletin.sites.select_related("provider").order_by("provider__name", "name"):
        guards = list(
            User.objects.filter(
                site_assignments__site=site, is_active=True, membership__role=Role.GUARD
            ).order_by("full_name", "email")
        )
        rows.append(SiteReceipts(site, [r for r in receipts if r.site_id == site.pk], guards))
    return rows


def list_sightings(*, bulletin: Bulletin) -> QuerySet[Sighting]:
    return Sighting.objects.filter(bulletin__series=bulletin.series).select_related(
        "incident__site", "reported_by"
    )


def list_recipients(*, bulletin: Bulletin) -> QuerySet[User]:
    """Who is told of it: the guards assigned to its sites and their providers' supervisors."""
    sites = bulletin.sites.all()
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(membership__role=Role.GUARD, site_assignments__site__in=sites)
            | Q(membership__role=Role.SUPERVISOR, membership__organization__sites__in=sites)
        )
        .distinct()
        .order_by("pk")
    )
