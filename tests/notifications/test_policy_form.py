"""The escalation-policy form speaks the admin's language (issue 14, item 11): steps read "After N
minutes, notify …", "Add a step" adds one without losing what was typed, and none of Django's
formset words (TOTAL_FORMS, ManagementForm, "forms") reach the page."""

import re

from django.urls import reverse

from notifications import services
from notifications.models import Channel, EscalationPolicy, Target
from tests.notifications.helpers import step

JARGON = ("TOTAL_FORMS", "ManagementForm", "management form", "tampered", "forms.")


def policy_post(**extra):
    data = {
        "name": "Night paging",
        "site": "",
        "is_active": "on",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
        "steps-0-after": "3",
        "steps-0-unit": "minutes",
        "steps-0-target": Target.ORG_ADMINS,
        "steps-0-channels": [Channel.EMAIL],
    }
    data.update(extra)
    return data


def shown(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


def visible(response) -> str:
    """The page's text as read (tags and their attributes, such as hidden fields' names, left out)."""
    return re.sub(r"<[^>]*>", " ", shown(response))


def test_a_step_reads_after_n_minutes_notify(client, world):
    client.force_login(world.admin_x)
    response = client.get(reverse("notifications:policy_new"))
    page = shown(response)
    assert ">After</label>" in page
    assert ", notify</label>" in page
    assert "Add a step" in page
    assert "-DELETE" not in page  # nothing to remove on a new policy
    for word in JARGON:
        assert word not in visible(response)


def test_minutes_are_saved_as_seconds_and_shown_as_minutes_again(client, world):
    client.force_login(world.admin_x)
    assert client.post(reverse("notifications:policy_new"), policy_post()).status_code == 302
    policy = EscalationPolicy.objects.get(organization=world.agency_x)
    assert [(s.delay_seconds, s.target) for s in policy.steps.all()] == [(180, Target.ORG_ADMINS)]
    form = client.get(reverse("notifications:policy_edit", args=[policy.pk])).context["steps"]
    assert (form.forms[0]["after"].value(), form.forms[0]["unit"].value()) == (3, "minutes")
    edit = shown(client.get(reverse("notifications:policy_edit", args=[policy.pk])))
    assert re.search(r'<label for="id_steps-0-DELETE">Remove this step:?</label>', edit), edit


def test_a_step_of_seconds_stays_in_seconds(client, world):
    policy = services.save_escalation_policy(
        by=world.admin_x, organization=world.agency_x, name="Fast", site=None, steps=[step(30)]
    )
    client.force_login(world.admin_x)
    form = client.get(reverse("notifications:policy_edit", args=[policy.pk])).context["steps"]
    assert (form.forms[0]["after"].value(), form.forms[0]["unit"].value()) == (30, "seconds")


def test_add_a_step_keeps_what_was_typed_and_saves_nothing(client, world):
    client.force_login(world.admin_x)
    response = client.post(reverse("notifications:policy_new"), policy_post(add_step="1"))
    assert response.status_code == 200
    assert not EscalationPolicy.objects.filter(organization=world.agency_x).exists()
    steps = response.context["steps"]
    assert steps.total_form_count() == 2
    assert steps.forms[0]["after"].value() == "3"
    assert steps.forms[0]["target"].value() == Target.ORG_ADMINS
    assert 'value="Night paging"' in shown(response)
    assert "Step 2" in shown(response)


def test_a_step_without_whom_to_notify_says_so(client, world):
    client.force_login(world.admin_x)
    response = client.post(reverse("notifications:policy_new"), policy_post(**{"steps-0-target": ""}))
    assert response.status_code == 200
    # An untouched row is ignored; one with a wait but nobody to notify is a half-made step.
    page = shown(response)
    assert "Add at least one step." in page or "Choose whom this step notifies" in page
    assert "This field is required" not in page


def test_a_wait_longer_than_a_day_is_refused_in_words(client, world):
    client.force_login(world.admin_x)
    response = client.post(reverse("notifications:policy_new"), policy_post(**{"steps-0-after": "1500"}))
    assert response.status_code == 200
    assert "A step waits at most 24 hours (1440 minutes)." in shown(response)
    assert not EscalationPolicy.objects.filter(organization=world.agency_x).exists()


def test_a_page_missing_the_step_counts_says_so_without_django_words(client, world):
    client.force_login(world.admin_x)
    data = policy_post()
    del data["steps-TOTAL_FORMS"], data["steps-INITIAL_FORMS"]
    response = client.post(reverse("notifications:policy_new"), data)
    assert response.status_code == 200
    page = shown(response)
    assert "This page was out of date or incomplete, so nothing was saved" in page
    for word in JARGON:
        assert word not in visible(response)
    assert not EscalationPolicy.objects.filter(organization=world.agency_x).exists()


def test_too_many_steps_are_refused_in_words(client, world):
    client.force_login(world.admin_x)
    extra = {"steps-TOTAL_FORMS": "11"}
    for index in range(11):
        extra |= {
            f"steps-{index}-after": str(index),
            f"steps-{index}-unit": "minutes",
            f"steps-{index}-target": Target.ORG_ADMINS,
        }
    response = client.post(reverse("notifications:policy_new"), policy_post(**extra))
    assert response.status_code == 200
    assert "A policy has at most 10 steps" in shown(response)
    assert "Please submit" not in shown(response)


def step_errors(response, index: int) -> str:
    """The errors the page shows inside step ``index`` (0-based)."""
    page = shown(response)
    steps = re.split(r'<fieldset class="step-form', page)[1:]
    block = steps[index].split("</fieldset>\n  <fieldset", 1)[0] if index < len(steps) else ""
    return " ".join(re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', block, re.S))


def test_the_step_added_by_add_a_step_is_blank_and_shows_no_error(client, world):
    client.force_login(world.admin_x)
    response = client.post(reverse("notifications:policy_new"), policy_post(add_step="1"))
    steps = response.context["steps"]
    added = steps.forms[1]
    assert (added["after"].value(), added["unit"].value(), added["target"].value()) in {
        (0, "minutes", None),
        ("0", "minutes", None),
    }
    assert step_errors(response, 1) == ""
    assert "Say how long this step waits" not in shown(response)
    assert "Choose whom this step notifies" not in shown(response)


def test_a_policy_saves_with_the_blank_step_that_add_a_step_left(client, world):
    client.force_login(world.admin_x)
    added = client.post(reverse("notifications:policy_new"), policy_post(add_step="1"))
    # The browser posts what the page shows: the blank step as it was rendered.
    data = policy_post(**{"steps-TOTAL_FORMS": "2"})
    blank = added.context["steps"].forms[1]
    for name in ("after", "unit", "target"):
        value = blank[name].value()
        data[f"steps-1-{name}"] = "" if value is None else str(value)
    response = client.post(reverse("notifications:policy_new"), data)
    assert response.status_code == 302, step_errors(response, 1)
    policy = EscalationPolicy.objects.get(organization=world.agency_x)
    assert [(s.delay_seconds, s.target) for s in policy.steps.all()] == [(180, Target.ORG_ADMINS)]


def test_a_blank_step_whose_wait_was_cleared_is_still_untouched(client, world):
    client.force_login(world.admin_x)
    data = policy_post(
        **{"steps-TOTAL_FORMS": "2", "steps-1-after": "", "steps-1-unit": "minutes", "steps-1-target": ""}
    )
    response = client.post(reverse("notifications:policy_new"), data)
    assert response.status_code == 302, step_errors(response, 1)


def test_a_half_filled_step_still_says_what_is_missing(client, world):
    client.force_login(world.admin_x)
    data = policy_post(
        **{"steps-TOTAL_FORMS": "2", "steps-1-after": "5", "steps-1-unit": "minutes", "steps-1-target": ""}
    )
    response = client.post(reverse("notifications:policy_new"), data)
    assert response.status_code == 200
    assert "Choose whom this step notifies" in step_errors(response, 1)
    assert step_errors(response, 0) == ""
