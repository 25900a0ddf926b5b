"""A refusal with a status and words for the caller, raisable anywhere a request is
served (a view, a before-request guard, a service's check): spoa/errors.py renders it in
the language of the surface that was asked."""


class Problem(Exception):
    """A refusal with a status and words for the caller, raised anywhere a request is
    served: each surface renders it in its own format (its ``errors``, ``title`` and
    ``type_`` are problem+json's, which the others leave out)."""

    def __init__(self, status: int, detail: str, *, title: str | None = None,
                 errors: dict | None = None, headers: dict | None = None, type_: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.title = status, detail, title
        self.errors, self.headers, self.type = errors, headers or {}, type_
