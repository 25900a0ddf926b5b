"""The worker tests' shared fixtures (those of the chasing passes, used beyond this folder too, are
in tests/support/fixtures/chasing.py)."""
import pytest

from spoa.models import Service

BED = {"presenting_need": "rehabilitation",
       "function": {"medically_stable": True, "rehab_potential": True, "needs_overnight_care": True}}


@pytest.fixture
def beds(db):
    """beds(total, in_use): bed-based rehab's declared capacity (None: never declared)."""
    def declare(total, in_use=0):
        service = Service(code="bed_rehab", name="Bed-based rehabilitation", capacity_total=total,
                          capacity_in_use=in_use, capacity_unit="community beds")
        db.session.add(service)
        db.session.commit()
        return service
    return declare
