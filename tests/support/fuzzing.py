"""What fuzzed requests may be answered, and the values they are made of."""
from hypothesis import strategies as st

# What breaks parsers and number fields: non-ASCII digits ("²" passes isdigit()
# and int() fails; "٣" int() takes), more digits than int() converts, NUL,
# direction overrides, lone surrogates' neighbours, huge and negative numbers.
NASTY = st.sampled_from([
    "", " ", "²", "٣", "٣٤", "１２", "9" * 5000, "-1", "0", "1e9", "NaN", "\x00", "a\x00b", "\u202eevil",
    "\u2066x\u2069", "E\u0301", "\ufeff1", "1" * 20, "-" * 3, "%00", "../../etc", "<script>", "' OR 1=1 --",
])


TEXT = st.text(max_size=60) | NASTY


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20)
    | st.floats(allow_nan=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


ANSWERS = {200, 201, 400, 401, 403, 404, 409, 412, 413, 415, 422, 429}


def check_answer(response, answers=ANSWERS):
    assert response.status_code in answers, (response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == response.status_code
