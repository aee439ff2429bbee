"""The CAP 1.2 export, validated against the CAP 1.2 schema (CAP-v1.2.xsd beside this test)."""

from pathlib import Path

import pytest
from lxml import etree

from bulletins import cap, selectors, services
from bulletins.models import Bulletin
from tests.bulletins.conftest import bolo

pytestmark = pytest.mark.django_db
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("CAP-v1.2.xsd"))))
NS = {"cap": cap.NS}


def _valid(xml: bytes) -> etree._Element:
    document = etree.fromstring(xml)
    SCHEMA.assertValid(document)
    return document


def test_each_version_is_a_valid_cap_message(world, published):
    world.a1.outline = [[51.5, -0.12], [51.501, -0.12], [51.501, -0.119]]
    world.a1.save()
    world.a2.latitude, world.a2.longitude = 51.52, -0.1
    world.a2.save()
    alert = _valid(cap.to_cap(published, earlier=[]))
    assert alert.findtext("cap:status", namespaces=NS) == "Actual"
    assert alert.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert alert.findtext("cap:scope", namespaces=NS) == "Restricted"
    assert alert.findtext("cap:restriction", namespaces=NS)
    info = alert.find("cap:info", NS)
    assert info.findtext("cap:event", namespaces=NS) == "BOLO: Vehicle"
    assert [info.findtext(f"cap:{n}", namespaces=NS) for n in ("urgency", "severity", "certainty")] == [
        "Expected",
        "Moderate",
        "Likely",
    ]
    assert info.findtext("cap:expires", namespaces=NS).endswith("+00:00")
    areas = {a.findtext("cap:areaDesc", namespaces=NS).split(",")[0]: a for a in info.findall("cap:area", NS)}
    assert set(areas) == {"A1", "A2"}
    polygon = areas["A1"].findtext("cap:polygon", namespaces=NS).split(" ")
    assert polygon[0] == polygon[-1]
    assert len(polygon) == 4
    assert areas["A2"].findtext("cap:circle", namespaces=NS) == "51.520000,-0.100000 0.1"
    assert "Do not approach" in info.findtext("cap:instruction", namespaces=NS)

    cancelled = services.cancel_bulletin(bulletin=published, by=world.liaison_x, reason="Found.")
    earlier = [v for v in selectors.list_versions(bulletin=cancelled) if v.version < cancelled.version]
    message = _valid(cap.to_cap(cancelled, earlier=earlier))
    assert message.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cap.identifier(published) in message.findtext("cap:references", namespaces=NS)


def test_an_exercise_says_so(world):
    bulletin = services.publish_bulletin(by=world.liaison_x, data=bolo(status=Bulletin.Status.EXERCISE))
    assert _valid(cap.to_cap(bulletin, earlier=[])).findtext("cap:status", namespaces=NS) == "Exercise"


def test_the_schema_refuses_what_cap_does_not_allow(world, published):
    # The test would pass anything if the schema accepted anything: a broken message must fail.
    broken = cap.to_cap(published, earlier=[]).replace(b"<status>Actual</status>", b"<status>Live</status>")
    with pytest.raises(etree.DocumentInvalid):
        _valid(broken)
