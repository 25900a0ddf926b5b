"""rules/fhir_mapping.yaml: codes in a BaRS message -> presenting need, red flag,
ambulance category. Data a clinical lead edits: a bad edit fails loading, naming
the file and the place."""
import pytest

from rules.errors import PolicyError
from rules.fhir_mapping import load_fhir_mapping, normalise_code
from spoa.domain import vocab


def load(tmp_path, text):
    path = tmp_path / "fhir_mapping.yaml"
    path.write_text(text)
    return load_fhir_mapping(vocab.PRESENTING_NEEDS, vocab.RED_FLAGS, path)


def test_the_shipped_mapping_loads_and_maps_codes_whatever_their_case():
    mapping = load_fhir_mapping(vocab.PRESENTING_NEEDS, vocab.RED_FLAGS)
    assert mapping.need_for("snomed", "1912002") == "fall_no_injury"
    assert mapping.need_for("snomed", "123") is None  # unmapped: the adapter says "other"
    assert mapping.red_flag_for("snomed", "29857009") == "chest_pain"
    assert normalise_code(" dx 02 ") == "DX02"


def test_codes_ignore_case(tmp_path):
    mapping = load(tmp_path, "presenting_need:\n  pathways_pathway:\n    Pa99: rehabilitation\n")
    assert mapping.need_for("pathways_pathway", "PA99") == "rehabilitation"


@pytest.mark.parametrize("text,says", [
    ("presenting_need:\n  snomed:\n    '1': flying\n", "'flying' is not one of"),
    ("presenting_need:\n  loinc:\n    '1': other\n", "unknown code system 'loinc'"),
    ("red_flags:\n  snomed:\n    '1': other\n", "'other' is not one of"),
    ("presenting_need:\n  pathways_pathway:\n    PA1: other\n    pa1: rehabilitation\n", "listed twice"),
    ("presenting_need:\n  snomed:\n    'a b': other\n", "is not a code"),
    ("arp_category_systems: nope\n", "list of code system URLs"),
    ("colours: {}\n", "unknown section 'colours'"),
    ("presenting_need:\n  snomed:\n    '1': other\n    '1': other\n", "appears twice"),
])
def test_a_bad_edit_fails_loading_and_says_where(tmp_path, text, says):
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, text)
    assert says in str(caught.value) and "fhir_mapping.yaml" in str(caught.value)
