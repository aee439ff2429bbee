"""The notification settings page and SMS (issue 14, stumble found walking the story): SMS needs a
number, and a server that cannot send SMS says so and neither offers nor accepts it. Bad input
changes nothing."""

import pytest
from django.urls import reverse

from notifications import selectors
from notifications.models import Channel, ChannelPreference, Kind, NotificationProfile

SMS_URL = "https://sms.example.org/v1/messages"


@pytest.fixture
def sms_on(settings):
    settings.SMS_PROVIDER = "json"
    settings.SMS_PROVIDER_URL = SMS_URL


@pytest.fixture
def sms_off(settings):
    settings.SMS_PROVIDER_URL = ""


def page(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_sms_without_a_number_is_refused_on_the_field_and_nothing_changes(client, world, sms_on):
    client.force_login(world.supervisor_a)
    response = client.post(
        reverse("notifications:settings"), {"phone": "", "page__sms": "on", "page__in_app": "on"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [
        "Give your mobile number to be notified by SMS, or untick SMS."
    ]
    assert 'id="id_phone_error"' in page(response)
    assert not ChannelPreference.objects.filter(user=world.supervisor_a).exists()
    assert not NotificationProfile.objects.filter(user=world.supervisor_a, phone__gt="").exists()


def test_sms_with_a_valid_number_is_saved(client, world, sms_on):
    client.force_login(world.supervisor_a)
    response = client.post(reverse("notifications:settings"), {"phone": "+1 312 555 0100", "page__sms": "on"})
    assert response.status_code == 302
    assert NotificationProfile.objects.get(user=world.supervisor_a).phone == "+13125550100"
    assert selectors.preference_matrix(user=world.supervisor_a)[(Kind.PAGE, Channel.SMS)] is True


def test_an_invalid_number_with_sms_changes_nothing(client, world, sms_on):
    client.force_login(world.supervisor_a)
    response = client.post(reverse("notifications:settings"), {"phone": "0770", "page__sms": "on"})
    assert response.status_code == 200
    assert "international format" in page(response)
    assert not ChannelPreference.objects.filter(user=world.supervisor_a).exists()


def test_a_person_without_a_number_sees_sms_unticked(client, world, sms_on):
    client.force_login(world.supervisor_a)
    form = client.get(reverse("notifications:settings")).context["form"]
    assert form[form.field_name(Kind.PAGE, Channel.SMS)].value() is False
    # Saving the page as shown does not trip over the SMS the default would have ticked.
    shown = {name: "on" for name, field in form.fields.items() if name != "phone" and form[name].value()}
    assert client.post(reverse("notifications:settings"), {"phone": "", **shown}).status_code == 302


def test_a_server_without_sms_says_so_and_does_not_offer_it(client, world, sms_off):
    client.force_login(world.supervisor_a)
    response = client.get(reverse("notifications:settings"))
    text = page(response)
    assert "This server cannot send SMS" in text
    assert 'name="page__sms"' not in text
    assert '<th scope="col">SMS</th>' not in text
    assert 'name="page__email"' in text


def test_a_server_without_sms_refuses_a_posted_sms_choice(client, world, sms_off):
    client.force_login(world.supervisor_a)
    response = client.post(
        reverse("notifications:settings"), {"phone": "+447700900123", "page__sms": "on", "page__email": "on"}
    )
    assert response.status_code == 200
    assert "This server cannot send SMS" in " ".join(response.context["form"].non_field_errors())
    assert not ChannelPreference.objects.filter(user=world.supervisor_a).exists()
    assert not NotificationProfile.objects.filter(user=world.supervisor_a, phone__gt="").exists()


def test_a_server_without_sms_saves_the_other_channels_and_leaves_sms_alone(client, world, sms_off):
    client.force_login(world.supervisor_a)
    response = client.post(reverse("notifications:settings"), {"phone": "", "page__email": "on"})
    assert response.status_code == 302
    assert not ChannelPreference.objects.filter(user=world.supervisor_a, channel=Channel.SMS).exists()
    assert selectors.preference_matrix(user=world.supervisor_a)[(Kind.PAGE, Channel.EMAIL)] is True
