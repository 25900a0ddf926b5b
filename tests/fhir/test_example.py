"""The standard's own example referral, in JSON and XML, through the one intake path."""
import pytest

from spoa.extensions import db as database
from spoa.models import Referral

from .conftest import JSON_TYPE, XML_TYPE, issue


@pytest.mark.parametrize("fmt", [JSON_TYPE, XML_TYPE])
def test_shared_example_routes_to_emergency_redirect_by_its_dx02(post, bundle, fmt, db):
    response = post(bundle, fmt=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == fmt
    referral = database.session.scalars(database.select(Referral)).one()
    assert referral.route == "emergency_redirect"
    assert referral.pathways_disposition == "Dx02"
    assert referral.channel == "fhir" and referral.source == "nhs111"
    decision = referral.decisions[0]
    assert decision.rule_id == "emergency-disposition"
    outcome = issue(response)
    assert outcome["severity"] == "information"
    assert referral.reference in outcome["diagnostics"] and "emergency_redirect" in outcome["diagnostics"]


def test_xml_reads_exactly_as_json_does():
    # The XML reader's cached type lookup (adapter._cache_xml_type_lookup) changes nothing read.
    from fhir.resources.R4B.bundle import Bundle

    import spoa.schemas.fhir.adapter  # noqa: F401  (applies the cache)

    from .conftest import example, own_message, to_xml

    for message in (example(), own_message(arp="C3", conditions=[("1912002", "Fall")])):
        assert Bundle.model_validate_xml(to_xml(message)) == Bundle.model_validate(message)
