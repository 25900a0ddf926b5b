"""The referrals of a period (narrowed by route and source as the report is),
read once for two downloads: the aggregate counts every report role gets
(spoa/reports/aggregate.py) and the analyst's row-level extract here.

What a row may hold is listed in COLUMNS, and nothing else leaves: coded values
(the intake contract's and the policy's vocabularies), when it was received, an
age band, the postcode district (or less), and how its first-contact clock
stands. Never a name, NHS number, address, phone number, date of birth, GP
practice, full postcode, the SPOA reference or the sender's, nor any free text
(the description, reasons, notes, the referrer's details): free text may name
anyone. Even so a row is personal data (pseudonymised, not anonymous: UK GDPR
Recital 26), so the extract is the analyst role's only (spoa/domain/access.py), every
download is recorded (web/reports.py), and rows are generalised until each
combination of quasi-identifiers is shared by at least EXTRACT_MIN_CELL rows
(spoa/reports/disclosure.py says how).

Each referral is known by a pseudonymous id: an HMAC of its id under
EXTRACT_PSEUDONYM_KEY, a key of its own (never SECRET_KEY), so the same referral
has the same id in every extract made under that key (an analyst can join this
month's to last month's) while nobody without the key can get from the id to
the referral. Replacing the key (a new data-sharing agreement, a new recipient)
changes every id: deliberately, there is no fallback key.

The rows are read through a server-side cursor (yield_per: a psycopg2 named
cursor on PostgreSQL) and written out as they come, so a year of referrals
never sits in memory; the generalisation reads them twice (counting, then
writing), holding only the counts. The date of birth and postcode are read to
make the band and the district, and go no further than this module.
"""
import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select

from rules.facts import postcode_parts
from spoa.domain.period import Filters, Period
from spoa.extensions import db
from spoa.models import Clock, DelayedDay, Referral
from spoa.platform.timekeeping import age_in_years, now, to_uk
from spoa.reports import disclosure, downloads
from spoa.reports.clock_outcome import outcome
from spoa.reports.received import received_in

COLUMNS = (
    "pseudonymous_id", "received", "received_hours", "kind", "source", "presenting_need",
    "disposition", "emas_category", "route", "urgency", "state", "pathway", "hospital_ods", "sex",
    "age_band", "postcode_district", "first_contact_clock", "hours_to_first_contact", "delayed_days",
)
# (lowest age, band), oldest first: the five bands the commissioner asked for, age on the day received.
AGE_BANDS = ((85, "85 and over"), (75, "75 to 84"), (65, "65 to 74"), (18, "18 to 64"), (0, "0 to 17"))
FIRST_CONTACT = "first_contact"  # the clock (clocks.yaml) and the lifecycle event that meets it
YIELD_PER = 1000  # rows fetched from the cursor at a time
_DISTRICT = re.compile(r"[A-Z]{1,2}[0-9][0-9A-Z]?")  # an outward code (the district), and only that


class Unavailable(Exception):
    """No EXTRACT_PSEUDONYM_KEY: no row-level extract can be made."""


@dataclass(frozen=True)
class Record:
    """One referral as the downloads read it (its identifiers already reduced)."""
    referral_id: object
    received: datetime  # UK wall time
    kind: str
    source: str | None
    presenting_need: str | None
    disposition: str | None
    emas_category: int | None
    route: str | None
    urgency: str | None
    state: str
    pathway: int | None
    hospital_ods: str | None
    sex: str | None
    age_band: str | None
    postcode_district: str | None
    first_contact_clock: str | None
    hours_to_first_contact: float | None
    delayed_days: int | None

    @property
    def identifying(self) -> disclosure.Identifying:
        return disclosure.Identifying(self.received, self.age_band, self.sex, self.postcode_district, self.source)


def pseudonyms():
    """referral id -> its id in every extract: HMAC-SHA256 under EXTRACT_PSEUDONYM_KEY
    (80 bits shown). Keyed once, copied for each row (a year's extract makes half a million)."""
    key = current_app.config.get("EXTRACT_PSEUDONYM_KEY")
    if not key:
        raise Unavailable("The row-level extract is not available: EXTRACT_PSEUDONYM_KEY is not set on this "
                          "server. An administrator sets it (docs/security.md: Keys and their rotation).")
    keyed = hmac.new(key.encode() if isinstance(key, str) else key, b"spoa-extract:", hashlib.sha256)

    def pseudonym(referral_id) -> str:
        one = keyed.copy()
        one.update(referral_id.bytes)
        return one.hexdigest()[:20]

    return pseudonym


def pseudonym(referral_id) -> str:
    return pseudonyms()(referral_id)


def age_band(born: date | None, on: date) -> str | None:
    if born is None:
        return None
    age = age_in_years(born, on)
    return next((band for lowest, band in AGE_BANDS if age >= lowest), None)


def postcode_district(postcode: str | None) -> str | None:
    """"NN1 5BD" -> "NN1": the outward code the rules read too (rules.facts.postcode_parts),
    never the inward part that narrows it to a street; what is not a district gives nothing."""
    district = postcode_parts(postcode)[1]
    return district if district and _DISTRICT.fullmatch(district) else None


def query(period: Period, filters: Filters):
    """One row per referral received in the period, in the order received (the
    received_at index gives them in that order, so the first rows come at once),
    with how its first-contact clock stands (the newest, should a route change
    have started a second), its first contact's time (the column kept for the
    reports: migration 0017) and its delayed days: each a correlated lookup by
    index for that one referral, on both databases."""
    def of_this_referral(column, *where):
        return select(column).where(*where).correlate(Referral).scalar_subquery()

    clock_state = (select(outcome(now())).where(Clock.referral_id == Referral.id, Clock.name == FIRST_CONTACT)
                   .order_by(Clock.id.desc()).limit(1).correlate(Referral).scalar_subquery())
    delayed = of_this_referral(func.count(DelayedDay.id), DelayedDay.referral_id == Referral.id)
    return (
        select(Referral.id, Referral.received_at, Referral.kind, Referral.source, Referral.presenting_need,
               Referral.pathways_disposition, Referral.emas_category, Referral.route, Referral.urgency,
               Referral.state, Referral.pathway, Referral.hospital_ods, Referral.sex,
               Referral.date_of_birth, Referral.postcode,
               clock_state.label("clock_state"), Referral.first_contact_at, delayed.label("delayed"))
        .where(*received_in(period, filters))
        .order_by(Referral.received_at)
    )


def records(period: Period, filters: Filters) -> Iterator[Record]:
    """The period's referrals, as the cursor gives them."""
    result = db.session.execute(query(period, filters).execution_options(yield_per=YIELD_PER))
    for (referral_id, received_at, kind, source, need, disposition, category, route, urgency, state, pathway,
         hospital, sex, born, postcode, clock_state, first_contact_at, delayed) in result:
        received = to_uk(received_at)
        hours = None if first_contact_at is None else round((first_contact_at - received_at).total_seconds() / 3600, 1)
        yield Record(referral_id, received, kind, source, need, disposition, category, route, urgency, state,
                     pathway, hospital, sex, age_band(born, received.date()), postcode_district(postcode),
                     clock_state, hours, delayed if kind == "discharge" else None)


def generalisation(period: Period, filters: Filters, k: int) -> disclosure.Choice:
    """Pass one: the rung the period's rows are given at, and which groups reach k."""
    groups = disclosure.Groups()
    for record in records(period, filters):
        groups.add(record.identifying)
    return groups.choose(k)


def rows(period: Period, filters: Filters, choice: disclosure.Choice, pseudonym) -> Iterator[tuple]:
    """Pass two: the extract's rows in COLUMNS' order, generalised to the chosen
    rung, without those in groups smaller than k; ``pseudonym`` is pseudonyms()'s."""
    for r in records(period, filters):
        identifying = r.identifying
        if not choice.keeps(identifying):
            continue
        received, hours, band, sex, place, source = disclosure.coarsened(choice.rung, identifying)
        yield (pseudonym(r.referral_id), received, hours, r.kind, source, r.presenting_need, r.disposition,
               r.emas_category, r.route, r.urgency, r.state, r.pathway, r.hospital_ods, sex, band, place,
               r.first_contact_clock, r.hours_to_first_contact, r.delayed_days)


def csv_lines(period: Period, filters: Filters, choice: disclosure.Choice, pseudonym) -> Iterator[str]:
    return downloads.lines(COLUMNS, rows(period, filters, choice, pseudonym))
