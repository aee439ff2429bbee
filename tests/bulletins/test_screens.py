"""The liaison's bulletin pages as they read (issue 14, walked by hand): the CAP fields say what each
choice means for the guards who receive it, and cancelling a bulletin looks destructive and says who
will be told before it is done."""

import lxml.html
from django.urls import reverse

from bulletins.models import Bulletin


def _page(response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content.decode())


def test_each_cap_field_has_plain_help_tied_to_its_select(client, world):
    client.force_login(world.liaison_x)
    page = _page(client.get(reverse("bulletins:new")))
    meanings = {
        "status": ("Actual", "Exercise", "Test"),
        "urgency": ("Immediate", "Expected", "Future"),
        "severity": ("Extreme", "Severe", "Moderate", "Minor"),
        "certainty": ("Observed", "Likely", "Possible"),
    }
    for name, choices in meanings.items():
        (select,) = page.xpath(f"//select[@name='{name}']")
        described = (select.get("aria-describedby") or "").split()
        assert described, f"the {name} select has no aria-describedby"
        help_text = " ".join(page.get_element_by_id(ref).text_content() for ref in described)
        for choice in choices:
            # Each choice is named and followed by what it means ("Immediate: guards act on it now").
            assert f"{choice}: " in help_text, f"{name}: what {choice} means is not said: {help_text!r}"


def test_cancelling_a_bulletin_looks_destructive_and_confirms_who_is_told(client, world, published):
    client.force_login(world.liaison_x)
    page = _page(client.get(published.get_absolute_url()))
    (form,) = page.xpath("//form[contains(@action, '/cancel/')]")
    button = form.xpath(".//button[@type='submit']")[0]
    assert "danger" in button.get("class", "").split(), "Cancel the bulletin is styled as destructive"

    url = reverse("bulletins:cancel", kwargs={"bulletin_id": published.public_id})
    confirming = client.post(url, {"reason": "Van found burnt out."})
    published.refresh_from_db()
    assert published.is_current, "nothing is cancelled before the liaison confirms"
    assert not Bulletin.objects.filter(series=published.series, msg_type=Bulletin.MsgType.CANCEL).exists()
    question = _page(confirming)
    text = " ".join(question.text_content().split())
    # Who is told: the guards of its sites and their supervisors (A's guard and supervisor at a1, a2).
    told = {world.guard_a, world.supervisor_a}
    assert f"{len(told)} people are told it is cancelled" in text, text
    for site in published.sites.all():
        assert site.name in text, f"the confirmation names the site {site.name}"
    assert "Van found burnt out." in text
    (doing,) = question.xpath(f"//form[@action='{url}']")
    (yes,) = doing.xpath(".//button[@type='submit']")
    assert "danger" in yes.get("class", "").split()
    hidden = {i.get("name"): i.get("value") for i in doing.xpath(".//input")}
    assert hidden["confirmed"] == "1"

    done = client.post(url, {"reason": hidden["reason"], "confirmed": "1"})
    assert done.status_code == 302
    cancelled = Bulletin.objects.get(series=published.series, msg_type=Bulletin.MsgType.CANCEL)
    assert cancelled.change_note == "Van found burnt out."
