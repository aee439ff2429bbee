"""The bulletin's page, live for its agency: the receipts and sightings it fetches again on every
answer pushed to the agency's socket."""

from django.urls import reverse

from bulletins import services


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
