"""The extract's two reductions of a patient's details (spoa/reports/extract.py):
an age band on the day received, and the postcode district, never more."""
from datetime import date

import pytest

from spoa.reports.extract import age_band, postcode_district


@pytest.mark.parametrize("born,band", [
    (date(2008, 11, 25), "0 to 17"),  # 18 tomorrow
    (date(2008, 11, 24), "18 to 64"),  # 18 today
    (date(1961, 11, 25), "18 to 64"), (date(1961, 11, 24), "65 to 74"),
    (date(1951, 11, 24), "75 to 84"), (date(1941, 11, 25), "75 to 84"), (date(1941, 11, 24), "85 and over"),
    (None, None),
])
def test_an_age_band_on_the_day_received(born, band):
    assert age_band(born, date(2026, 11, 24)) == band


@pytest.mark.parametrize("postcode,district", [
    ("NN1 5BD", "NN1"), ("EC1A 1BB", "EC1A"), ("W1A 0AX", "W1A"), ("NN15BD", "NN1"), ("nn4 6xy", "NN4"),
    ("NN1", None), ("", None), (None, None), ("not a postcode", None), ("GIR 0AA", None),
])
def test_the_postcode_district_and_nothing_of_the_inward_code(postcode, district):
    assert postcode_district(postcode) == district
