"""The bulletin's page, live for its agency: the receipts and sightings it fetches again on every
answer pushed to the agency's socket."""

from django.urls import reverse

from bulletins import services
from tests.bulletins.conftest import bolo


def test_the_answers_fragment_shows_who_read_it_to_the_agency_only(client, world, published):
    url = reverse("bulletins:answers", kwargs={"bulletin_id": published.public_id})
    client.force_login(world.liaison_x)
    before = client.get(url).json()
    assert (before["receipts"], before["sightings"]) == (0, 0)
    services.mark_bulletin_read(bulletin=published, by=world.guard_a)
    after = client.get(url).json()
    assert after["receipts"] == 1
    assert f"{world.guard_a} at " in after["html"]
    # The page itself carries where to fetch it from and the script that listens.
    page = client.get(published.get_absolute_url()).content.decode()
    assert f'data-answers-url="{url}"' in page
    assert "js/bulletins.js" in page
    client.force_login(world.liaison_y)
    assert client.get(url).status_code == 404
    client.force_login(world.guard_a)
    assert client.get(url).status_code == 403


def test_reading_the_bulletin_marks_the_guards_notification_about_it_read(
    client, world, eager, django_capture_on_commit_callbacks
):
    """Issue 14 (found walking the story): the guard read the bulletin on its page, and its
    notification in the inbox stayed unread."""
    with django_capture_on_commit_callbacks(execute=True):
        bulletin = services.publish_bulletin(by=world.liaison_x, data=bolo(title="Blue van"))
        other = services.publish_bulletin(by=world.liaison_x, data=bolo(title="Red car"))
    client.force_login(world.guard_a)
    inbox = client.get(reverse("notifications:inbox"))
    assert inbox.context["unread"] == 2
    assert "Blue van" in inbox.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("bulletins:read", kwargs={"bulletin_id": bulletin.public_id}))
    assert response.status_code == 302
    inbox = client.get(reverse("notifications:inbox"))
    assert inbox.context["unread"] == 1  # the other bulletin's notification still waits
    [read] = [n for n in inbox.context["page"] if "Blue van" in n.title]
    assert read.read_at is not None
    [waiting] = [n for n in inbox.context["page"] if "Red car" in n.title]
    assert waiting.read_at is None
    assert other.public_id != bulletin.public_id
    # Nobody else's notification about it changed.
    client.force_login(world.supervisor_a)
    assert client.get(reverse("notifications:inbox")).context["unread"] == 2
