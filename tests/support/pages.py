"""Reading pages the app serves, as a person reads them."""
import html


def rows_in(page: str, lane: str) -> list[str]:
    body = page[page.index(f'id="lane-{lane}"'):]
    body = body[:body.index("</tbody>")]
    return [m.split('"')[0] for m in body.split('data-id="')[1:]]


def text(response) -> str:
    """A test client's answer as text, entities decoded (what a reader sees)."""
    return html.unescape(response.get_data(as_text=True))
