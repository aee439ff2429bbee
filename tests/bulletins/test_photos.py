"""Bulletin photos: attached by the liaison when publishing or updating, checked by their content,
hashed, stored outside public URLs, shown on the bulletin page and the guards' banner and list, and
served (audited) only to the bulletin's audience."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from bulletins import services
from bulletins.models import Bulletin, BulletinPhoto
from tests.bulletins.conftest import bolo
from tests.incidents.evidence_samples import jpeg, pdf, png

pytestmark = pytest.mark.django_db


def upload(name, data, content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type)


def photo_url(bulletin, photo):
    return reverse("bulletins:photo", kwargs={"bulletin_id": bulletin.public_id, "photo_id": photo.public_id})


@pytest.fixture
def with_photos(world):
    return services.publish_bulletin(
        by=world.liaison_x,
        data=bolo(),
        photos=[upload("van-front.png", png()), upload("van side.jpg", jpeg(), "image/jpeg")],
    )


def test_photos_are_kept_with_their_sha256_under_random_names(world, with_photos, settings):
    photos = list(with_photos.photos.order_by("pk"))
    assert [(p.name, p.content_type) for p in photos] == [
        ("van-front.png", "image/png"),
        ("van side.jpg", "image/jpeg"),
    ]
    for photo, data in zip(photos, (png(), jpeg()), strict=True):
        assert photo.sha256 == hashlib.sha256(data).hexdigest()
        assert photo.size == len(data)
        assert "van" not in photo.file.name  # a random name, not the uploader's
        # In the evidence folder, outside the media and static folders any server publishes.
        assert photo.file.path.startswith(str(settings.EVIDENCE_ROOT))
        assert not photo.file.path.startswith(str(settings.MEDIA_ROOT))
        assert not photo.file.path.startswith(str(settings.STATIC_ROOT))
        with photo.file.open("rb") as stored:
            assert stored.read() == data
    added = AuditEvent.objects.filter(action="bulletin.photo_added")
    assert sorted(event.data["sha256"] for event in added) == sorted(p.sha256 for p in photos)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("plate.png", pdf(), "a photo is a JPEG, PNG or WebP image"),  # a PDF, whatever its name says
        ("plate.png", b"MZ\x90\x00 not an image at all", "plate.png"),
        ("empty.png", b"", "the file is empty"),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_published(world, name, data, message):
    with pytest.raises(ValidationError, match=message):
        services.publish_bulletin(
            by=world.liaison_x, data=bolo(), photos=[upload("ok.png", png()), upload(name, data)]
        )
    assert not Bulletin.objects.exists()
    assert not BulletinPhoto.objects.exists()


def test_more_than_six_photos_are_refused(world):
    with pytest.raises(ValidationError, match="at most 6"):
        services.publish_bulletin(
            by=world.liaison_x, data=bolo(), photos=[upload(f"{n}.png", png()) for n in range(7)]
        )
    assert not Bulletin.objects.exists()


def test_the_audience_downloads_a_photo_audited_and_another_tenant_gets_404(client, world, with_photos):
    photo = with_photos.photos.order_by("pk").first()
    url = photo_url(with_photos, photo)
    client.force_login(world.guard_a)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-SHA256"] == photo.sha256
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    download = AuditEvent.objects.get(action="bulletin.photo_downloaded")
    assert (download.actor_id, download.data["photo"]) == (world.guard_a.pk, str(photo.public_id))
    for user in (world.liaison_x, world.supervisor_a):
        client.force_login(user)
        assert client.get(url).status_code == 200
    # Provider B is not partnered with agency X; agency Y is another agency: neither finds it.
    for user in (world.guard_b, world.liaison_y, world.admin_a):
        client.force_login(user)
        assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action="bulletin.photo_downloaded").count() == 3


def test_another_tenants_guard_gets_404_on_the_photo(client, world, with_photos):
    photo = with_photos.photos.first()
    client.force_login(world.guard_b)
    assert client.get(photo_url(with_photos, photo)).status_code == 404
    assert not AuditEvent.objects.filter(action="bulletin.photo_downloaded").exists()


def test_a_photo_is_found_only_under_a_bulletin_that_shows_it(client, world, with_photos):
    other = services.publish_bulletin(by=world.liaison_x, data=bolo(title="Another van"))
    photo = with_photos.photos.first()
    client.force_login(world.guard_a)
    assert client.get(photo_url(other, photo)).status_code == 404


def test_an_update_adds_photos_and_keeps_the_earlier_ones(client, world, with_photos):
    updated = services.update_bulletin(
        bulletin=with_photos,
        by=world.liaison_x,
        data=bolo(description="Now with a cracked windscreen."),
        change_note="A new photo of the windscreen.",
        photos=[upload("windscreen.png", png((64, 48)))],
    )
    client.force_login(world.guard_a)
    page = client.get(updated.get_absolute_url()).content.decode()
    assert page.count('alt="Photo ') == 3
    assert "(from version 1)" in page
    earlier = client.get(with_photos.get_absolute_url()).content.decode()
    assert earlier.count('alt="Photo ') == 2
    new = updated.photos.get()
    assert client.get(photo_url(with_photos, new)).status_code == 404  # version 1 never showed it


def test_the_guards_banner_and_list_show_the_thumbnail(client, world, with_photos):
    first = with_photos.photos.order_by("pk").first()
    client.force_login(world.guard_a)
    home = client.get(reverse("bulletins:list")).content.decode()
    assert home.count(f'src="{photo_url(with_photos, first)}"') == 2  # banner and live list
    live = client.get(reverse("bulletins:live")).json()
    assert photo_url(with_photos, first) in live["banner"]
    assert photo_url(with_photos, first) in live["list"]


def test_the_liaison_attaches_photos_on_the_publishing_page(client, world):
    client.force_login(world.liaison_x)
    expires = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "kind": "vehicle",
        "title": "Blue hatchback",
        "description": "Blue hatchback, no hubcaps.",
        "expires_at": expires,
        "status": "Actual",
        "urgency": "Expected",
        "severity": "Moderate",
        "certainty": "Likely",
        "audience": "all",
    }
    response = client.post(
        reverse("bulletins:new"), {**form, "photos": [upload("a.png", png()), upload("b.png", png((8, 8)))]}
    )
    assert response.status_code == 302
    bulletin = Bulletin.objects.get(title="Blue hatchback")
    assert bulletin.photos.count() == 2
    refused = client.post(
        reverse("bulletins:new"), {**form, "title": "Red car", "photos": [upload("c.png", pdf())]}
    )
    assert refused.status_code == 200
    assert "a photo is a JPEG, PNG or WebP image" in refused.content.decode()
    assert not Bulletin.objects.filter(title="Red car").exists()
