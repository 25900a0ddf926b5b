"""Valid BaRS messages, mutated: whatever comes in, the answer is a definite
status and an OperationOutcome, never a 500 (and nothing half-stored)."""
import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import JSON_TYPE, XML_TYPE, example, outcome, own_message
from .push_messages import pushed_call

NASTY = st.sampled_from(["", " ", "²", "٣", "9" * 300, "-1", "\x00", "a\x00b", "\u202eevil", "urn:uuid:x",
                         "Dx02", "C1", "1.0.0", "2099-01-01", "NN1 5BD", "referral", "message"])
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**12, max_value=10**12) | st.text(max_size=30) | NASTY,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
ANSWERS = {200, 400, 409, 413, 415, 422, 429}  # 429: a long local run passes the rate limit
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Referrals and pushed 999 calls (validation requests, a4t3 and a use case SPOA does not take).
BASES = [own_message(), own_message(arp="C3"), example(), pushed_call(), pushed_call(use_case="a4t1")]


def _paths(node, path=()):
    """Every (container, key) in a JSON tree, to mutate one of them."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield node, key
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield node, i
            yield from _paths(value, path + (i,))


def _resource_type(response) -> str:
    """The answer's resource, whichever format it came in (a Bundle or an OperationOutcome)."""
    if response.mimetype == XML_TYPE:
        from lxml import etree

        return etree.QName(etree.fromstring(response.get_data())).localname
    return json.loads(response.get_data())["resourceType"]


@st.composite
def mutated(draw):
    bundle = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        places = list(_paths(bundle))
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "delete":
            del container[key]
        elif action == "duplicate" and isinstance(container, list):
            container.append(copy.deepcopy(container[key]))
        else:
            container[key] = draw(VALUES)
    return bundle


@FUZZ
@given(message=mutated(), as_xml=st.booleans())
def test_a_mutated_bundle_never_gets_a_500(post, message, as_xml, db):
    if as_xml:
        from fhir.resources.R4B.bundle import Bundle

        try:
            data = Bundle.model_validate(message).model_dump_xml()
        except Exception:  # noqa: BLE001  (a mutation the XML form cannot carry: send it as JSON)
            data, as_xml = json.dumps(message).encode(), False
    else:
        data = json.dumps(message).encode()
    response = post(data, fmt=XML_TYPE if as_xml else JSON_TYPE)
    assert response.status_code in ANSWERS, response.get_data(as_text=True)[:500]
    # A refusal's OperationOutcome; at 200, the acknowledgement (a mutation the contract
    # allows) or an informational OperationOutcome.
    if response.status_code == 200:
        assert _resource_type(response) in {"Bundle", "OperationOutcome"}
    else:
        assert outcome(response)["resourceType"] == "OperationOutcome"


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode), as_xml=st.booleans())
def test_arbitrary_bytes_never_get_a_500(post, raw, as_xml, db):
    response = post(raw, fmt=XML_TYPE if as_xml else JSON_TYPE)
    assert response.status_code in ANSWERS
    assert outcome(response)["resourceType"] == "OperationOutcome"
