"""The guard's pages on a phone, over HTTP: the report form's first screen, its error summary and
counted limits, one report per key; the incident list's open reports first and folded filters; the
supervisor's question on top; codes in words."""

import re
import uuid

from django.urls import reverse

from accounts.models import Role, SiteAssignment
from incidents import services
from incidents.models import Category, Incident
from tests.factories import member, report


def report_data(world, **overrides):
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "site": world.a1.pk,
        "category": Category.objects.get(code="theft").pk,
        "severity": "3",
        "narrative": "Two jackets taken from the rack",
        "action": "submit",
    }
    data.update(overrides)
    return data


def tiles(html: str) -> list[str]:
    """The category tiles' values in page order, and where the "more" fold starts."""
    return re.findall(r'name="category" value="(\d+)"|(<details class="more-categories")', html)


def test_the_most_used_categories_come_first_and_the_rest_behind_more(client, world):
    hazard, vandalism = Category.objects.get(code="hazard"), Category.objects.get(code="vandalism")
    for _ in range(2):
        report(world.guard_a, world.a1, category=vandalism)
    report(world.guard_a, world.a1, category=hazard)
    report(world.guard_b, world.b1, category=Category.objects.get(code="animal"))  # another provider's
    client.force_login(world.guard_a)
    html = client.get(reverse("incidents:report")).content.decode()
    order = tiles(html)
    first = [value for value, _ in order[:6]]
    assert first[:2] == [str(vandalism.pk), str(hazard.pk)]
    assert order[6] == ("", '<details class="more-categories"'), "six tiles, then the fold"
    offered = Category.objects.filter(is_active=True).exclude(code="panic").count()
    assert f"More categories ({offered - 6})" in html


def test_the_panic_category_is_never_offered_on_the_report_form_however_often_panics_happen(client, world):
    panic = Category.objects.get(code="panic")
    for _ in range(3):  # the panic bar's incidents count among the site's reports
        report(world.guard_a, world.a1, category=panic, panic=True)  # as the panic button files them
    client.force_login(world.guard_a)
    html = client.get(reverse("incidents:report")).content.decode()
    assert str(panic.pk) not in [value for value, _ in tiles(html)]
    assert f'value="{panic.pk}"' not in html.split('class="panic-bar"')[0]

    # Posted anyway (an old page, a crafted request): refused with a word, nothing filed.
    before = Incident.objects.count()
    response = client.post(reverse("incidents:report"), report_data(world, category=panic.pk))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Incident.objects.count() == before


def test_a_category_chosen_under_more_opens_the_fold_when_the_form_comes_back(client, world):
    other = Category.objects.get(code="other")
    client.force_login(world.guard_a)
    html = client.post(
        reverse("incidents:report"), report_data(world, category=other.pk, severity="9")
    ).content
    assert b'<details class="more-categories" open>' in html


def test_limits_are_counted_not_cut_and_a_long_text_is_refused_with_a_summary(client, world):
    client.force_login(world.guard_a)
    page = client.get(reverse("incidents:report")).content.decode()
    narrative = re.search(r"<textarea[^>]*>", page).group(0)
    assert "maxlength" not in narrative
    assert 'data-limit="20000"' in narrative

    text = "x" * 20_001
    response = client.post(reverse("incidents:report"), report_data(world, narrative=text))
    html = response.content.decode()
    assert response.status_code == 200
    assert not Incident.objects.exists()
    summary = html[html.index("data-error-summary") : html.index("</div>", html.index("data-error-summary"))]
    assert "The report was not sent" in summary
    assert '<a href="#field-narrative">What happened?</a>' in summary
    assert "at most 20000 characters (it has 20001)" in summary
    assert text in html, "nothing typed is lost"


def test_a_report_sent_again_with_its_key_is_filed_once(client, world):
    client.force_login(world.guard_a)
    data = report_data(world)
    client.post(reverse("incidents:report"), data)
    again = client.post(reverse("incidents:report"), data, follow=True)
    assert Incident.objects.count() == 1
    assert "was already received" in again.content.decode()


def test_the_form_starts_at_the_site_of_the_guards_last_report(client, world):
    SiteAssignment.objects.create(user=world.guard_a, site=world.a2)
    client.force_login(world.guard_a)
    assert client.get(reverse("incidents:report")).context["form"].initial["site"] == world.a1.pk
    report(world.guard_a, world.a2)
    assert client.get(reverse("incidents:report")).context["form"].initial["site"] == world.a2.pk


def test_the_list_shows_the_guards_open_reports_first_and_folds_its_filters(client, world):
    asked = report(world.guard_a, world.a1, narrative="Broken glass")
    services.request_more_information(incident=asked, by=world.supervisor_a, comment="Which door?")
    newer = report(world.guard_a, world.a1)
    closed = report(world.guard_a, world.a1)
    services.close_incident(incident=closed, by=world.supervisor_a, resolution="Handled")
    report(world.guard_b, world.b1)
    client.force_login(world.guard_a)
    response = client.get(reverse("incidents:list"))
    assert [i.pk for i in response.context["own_open"]] == [asked.pk, newer.pk]
    html = response.content.decode()
    assert '<details class="filters-toggle" data-filters>' in html
    assert html.index("Your open reports") < html.index('role="search"')

    filtered = client.get(reverse("incidents:list"), {"severity": "3", "q": "glass"}).content.decode()
    assert '<details class="filters-toggle" data-filters open>' in filtered
    assert "Filters (1 active)" in filtered


def test_the_supervisors_question_is_on_top_and_codes_read_as_words(client, world):
    incident = report(world.guard_a, world.a1)
    services.request_more_information(
        incident=incident, by=world.supervisor_a, comment="Which door, east or west?"
    )
    client.force_login(world.guard_a)
    html = client.get(reverse("incidents:detail", args=[incident.public_id])).content.decode()
    question = html.index("Your supervisor asks")
    assert question < html.index('id="facts"')
    assert "Which door, east or west?" in html[question : question + 400]
    assert "Submitted → More information requested" in html
    assert "needs_info" not in html.replace("state-needs_info", "")


def test_the_question_says_who_asked_to_each_reader(client, world):
    """Issue 14: only the guard reads "Your supervisor asks"; its author reads "You asked", and the
    provider's other supervisors read who asked the guard."""
    other = member(Role.SUPERVISOR, world.provider_a)
    incident = report(world.guard_a, world.a1)
    services.request_more_information(incident=incident, by=world.supervisor_a, comment="Which door?")
    page = reverse("incidents:detail", args=[incident.public_id])

    def heading(user):
        client.force_login(user)
        html = client.get(page).content.decode()
        return html.split('<h2 id="question-heading">')[1].split("</h2>")[0]

    assert heading(world.guard_a) == "Your supervisor asks"
    assert heading(world.supervisor_a) == "You asked"
    assert heading(other) == f"{world.supervisor_a} asked the guard"
