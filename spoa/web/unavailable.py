"""What a staff page says when the database cannot be reached.

The new-referral forms (community and discharge) are the ones that matter: a call handler has just typed a
caller's details. The form comes back with everything typed (from request.form,
so nothing needs the database) and says plainly it was not saved. Its hidden
submission_id comes back too, so sending it again later cannot store it twice.
"""
from flask import g, render_template, request

from spoa.platform.database import RETRY_AFTER_SECONDS
from spoa.web.login_adapter import load_no_user

FORM_NOT_SAVED = ("This referral has NOT been saved yet: the system cannot reach its database just now. "
                  "Everything you typed is still below. Try saving again in a minute; if it still fails, "
                  "phone the duty supervisor with the details.")


def database_down_page():
    # The user loader reads the database too, and the page's header asks for the user:
    # if it has not been loaded, the page is shown as to no one rather than failing again.
    load_no_user()
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    from spoa.web.referrals import FORM_OF_VIEW, _form

    form = FORM_OF_VIEW.get(request.endpoint)
    if form is not None and request.method == "POST":
        g.not_saved = FORM_NOT_SAVED  # each variant of the form shows it above the form
        body, status = _form(form, request.form, None, 503)
        return body, status, headers
    return render_template(
        "error.html", code=503, title="The system cannot reach its database just now",
        detail="Nothing was changed. Please try again in a minute; if it goes on, tell the duty supervisor."), \
        503, headers
