"""The call handler's new-referral form, filled in as a handler would."""
from spoa.schemas.fields import is_valid_nhs_number
from spoa.web import csrf_adapter
from tests.support.signing_in import csrf_token

GOOD = {
    "source": "gp", "referrer.name": "Dr A Khan", "patient.nhs_number": "943 476 5919",
    "patient.given_name": "Ada", "patient.family_name": "Lovelace", "patient.date_of_birth": "1938-03-14",
    "patient.postcode": "nn1 5bd", "presenting_need": "fall_no_injury", "consent": "yes",
    "observations.news2": "2",
}


def post_form(client, data, token=True):
    form = dict(data)
    if token:
        form["csrf_token"] = csrf_token(client, "/referrals/new")
    return client.post("/referrals/new", data=form)


def nhs_numbers(count: int, start: int = 400000000) -> list[str]:
    """``count`` valid NHS numbers (modulus 11 check digit), none of them GOOD's."""
    found = []
    for body in range(start, start + 20 * count):
        digits = str(body)
        remainder = sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11
        check = (11 - remainder) % 11
        if check != 10:
            number = digits + str(check)
            assert is_valid_nhs_number(number)
            found.append(number)
        if len(found) == count:
            return found
    raise AssertionError("not enough numbers")


def preview(client, data):
    csrf_adapter.forget_token()  # a token made now, not the one cached at the test's start (time moves)
    return client.post("/referrals/preview", data={**data, "csrf_token": csrf_token(client, "/referrals/new")})
