"""The rules what-if replay page (administration): a changed policy, uploaded or a
git revision, replayed against a period's referrals; the counts, the from -> to
table and the changed list, and the changed list as CSV. Nothing is changed
(spoa/replay). The uploaded files travel back with the CSV button (base64, in the
page), so the download replays exactly what was shown, and no file is kept here."""
import base64
import binascii

from flask import Response, render_template, request, stream_with_context
from marshmallow import ValidationError

from rules.loader import CLOCKS, DISCHARGE, FLAGS, ROUTING
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.replay import candidate as candidates
from spoa.replay.output import csv_lines, earlier_versions
from spoa.replay.run import replay, replayed
from spoa.schemas.replay import ReplaySchema
from spoa.web.admin import admin_bp
from spoa.web.forms import Form

# Each policy file's input: (its input's name and id, what it holds), in the order the page lists them.
UPLOADS = {ROUTING: ("file-routing", "the routing rules"), CLOCKS: ("file-clocks", "routes and clock targets"),
           FLAGS: ("file-flags", "flags raised once routed"), DISCHARGE: ("file-discharge", "discharge delay reasons")}
FILE_MAX_BYTES = 48 * 1024  # the four together stay inside the 64 KiB a request may be (config.py)
SHOWN = 500  # changed referrals listed on the page; the CSV has every one


class _Refused(Exception):
    """Beside a field: {anchor: message}."""

    def __init__(self, anchor: str, message: str):
        super().__init__(message)
        self.anchor, self.message = anchor, message


def _form(formdata=None) -> Form:
    return Form(ReplaySchema(), formdata)


def _page(form: Form, file_errors=None, result=None, chosen=None, carried=None, status=200):
    file_errors = dict(file_errors or {})
    for anchor in [a for a in file_errors if a in form.fields]:  # the revision's own box
        form[anchor].errors.append(file_errors.pop(anchor))
        form.summary.append((anchor, form[anchor].errors[-1]))
    summary = list(form.summary) + list(file_errors.items())
    running = current_policy()
    names = {code: info.name for p in (running, chosen and chosen.policy) if p for code, info in p.routes.items()}
    return render_template("admin_replay.html", form=form, uploads=UPLOADS, file_errors=file_errors,
                           summary=summary, result=result, chosen=chosen, carried=carried or {},
                           route_names=names, running=running.version,
                           earlier=earlier_versions(result, running.version) if result else [],
                           file_max_kb=FILE_MAX_BYTES // 1024), status


@admin_bp.get("/rules/replay")
def admin_replay():
    return _page(_form())


def _uploaded() -> dict[str, bytes]:
    files = {}
    for name, (field, _) in UPLOADS.items():
        upload = request.files.get(field)
        if upload is None or not upload.filename:
            continue
        data = upload.read(FILE_MAX_BYTES + 1)
        if len(data) > FILE_MAX_BYTES:
            raise _Refused(field, f"{name} is over {FILE_MAX_BYTES // 1024} KB: is it the right file?")
        files[name] = data
    return files


def _carried() -> dict[str, bytes]:
    """The files the results page carried back for the CSV (base64)."""
    files = {}
    for name, (field, _) in UPLOADS.items():
        text = request.form.get(field)
        if text:
            try:
                files[name] = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise _Refused(field, f"{name} did not come back as it was sent: replay again") from None
    return files


def _candidate(data: dict, files: dict[str, bytes]):
    try:
        if data.get("rev"):
            return candidates.from_revision(data["rev"], current_policy().directory)
        return candidates.from_files(files, current_policy().directory)
    except candidates.CandidateError as exc:
        anchor = UPLOADS[exc.field][0] if exc.field in UPLOADS else exc.field
        raise _Refused(anchor, exc.message) from None


def _load(files_from):
    """(the form's data, its candidate, the files uploaded, None), or (None, None, None, the
    form again with each message beside its field)."""
    form = _form(request.form)
    try:
        data = form.load()
    except ValidationError as exc:
        form.fail(exc)
        data = None
    try:
        files = files_from()
        if files and (request.form.get("rev") or "").strip():  # said even when the dates are wrong too
            raise _Refused("rev", "Upload changed files or name a git revision, not both")
        chosen = _candidate(data, files) if data is not None else None
    except _Refused as refused:
        # An uploaded file that cannot be read as a policy (any shape at all: not text, not
        # YAML, nested past reading, the wrong kind of value) is a bad request, 400; the
        # form's own fields wrong (dates, a revision, nothing chosen) are 422 as on every page.
        unreadable = refused.anchor in {anchor for anchor, _ in UPLOADS.values()}
        return None, None, None, _page(form, {refused.anchor: refused.message}, status=400 if unreadable else 422)
    if data is None:
        return None, None, None, _page(form, status=422)
    return data, chosen, files, None


def _let_go() -> None:
    """This request wrote nothing: its session's connection goes back to the pool while
    the replay reads on its own (read_only.py). Under gevent on SQLite a process has one
    connection (config.py), which the replay would otherwise wait for."""
    db.session.rollback()


@admin_bp.post("/rules/replay")
def admin_replay_run():
    data, chosen, files, refused = _load(_uploaded)
    if refused:
        return refused
    _let_go()
    result = replay(chosen.policy, data["period"], keep=SHOWN)
    carried = {UPLOADS[name][0]: base64.b64encode(content).decode() for name, content in files.items()}
    return _page(_form(request.form), result=result, chosen=chosen, carried=carried)


@admin_bp.post("/rules/replay.csv")
def admin_replay_csv():
    data, chosen, _, refused = _load(_carried)
    if refused:
        return refused
    _let_go()
    period = data["period"]
    name = f"replay-{period.first.isoformat()}-to-{period.last.isoformat()}.csv"
    return Response(stream_with_context(csv_lines(replayed(chosen.policy, period))), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
