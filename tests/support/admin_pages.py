"""The admin pages' forms, submitted as a browser submits them."""
import re

from tests.support.signing_in import csrf_token


def post(client, path, page, **data):
    """Submit a form on `page` the way a browser does: with the page's CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def add_api_client(client, **fields):
    return post(client, "/admin/api-clients", "/admin/api-clients", **{"name": "emas-hub", **fields})


def token_on(response) -> str:
    return re.search(r'<code id="new-token">([^<]+)</code>', response.get_data(as_text=True)).group(1)
