"""The coordination centre's feed (GET /api/v1/status) as the API answers it and
the OpenAPI document describes it: counts, shares and codes only. No field here may
name a patient, a referral or a member of staff (tests/api/test_status_feed.py
walks every key of a real answer)."""
from marshmallow import Schema, fields

from rules.clock_policy import TWO_HOUR_AMBITION


class RouteNowSchema(Schema):
    route = fields.String(allow_none=True, metadata={"description": "A route id of the policy; null: not routed yet"})
    name = fields.String()
    open_referrals = fields.Integer(metadata={"description": "Referrals open now (not completed, redirected, "
                                                             "cancelled or withdrawn)"})
    breaches = fields.Integer(metadata={"description": "Clocks of open referrals past their deadline and not met"})
    referrals_in_breach = fields.Integer(metadata={"description": "Open referrals with at least one such clock"})


class TwoHourSchema(Schema):
    first = fields.Date(metadata={"description": "First UK day counted"})
    last = fields.Date(metadata={"description": "Last UK day counted (today)"})
    met = fields.Integer(metadata={"description": "Crisis response referrals received in the period, first "
                                                  "contacted within 2 hours"})
    breached = fields.Integer(metadata={"description": "... not within 2 hours (or past 2 hours, not contacted yet)"})
    running = fields.Integer(metadata={"description": "... still within their 2 hours"})
    share_met = fields.Float(allow_none=True, metadata={
        "description": "Percent met of met + breached, 1 decimal place; null when none is decided yet"})
    ambition = fields.Float(metadata={"description": f"The national ambition, percent ({TWO_HOUR_AMBITION:g})"})
    meets_ambition = fields.Boolean(allow_none=True)


class TwoHourFiguresSchema(Schema):
    today = fields.Nested(TwoHourSchema, metadata={"description": "Received today (UK)"})
    week = fields.Nested(TwoHourSchema, metadata={"description": "Received this ISO week so far: Monday (UK) "
                                                                 "to today, not the last 7 days"})


class ServiceCapacitySchema(Schema):
    code = fields.String()
    name = fields.String()
    unit = fields.String(metadata={"description": "What is counted, e.g. visits this shift"})
    total = fields.Integer(allow_none=True, metadata={"description": "Declared; null: never declared"})
    in_use = fields.Integer()
    free = fields.Integer(allow_none=True,
                          metadata={"description": "total - in_use, never below 0; null: not declared"})
    open_referrals = fields.Integer(metadata={"description": "Open referrals routed to it now"})
    declared_at = fields.AwareDateTime(attribute="updated_at", allow_none=True)


class DutyOrganisationSchema(Schema):
    code = fields.String()
    name = fields.String()
    places = fields.Integer(attribute="total", allow_none=True,
                            metadata={"description": "Referrals it said it can take today; null: not declared today"})
    taken = fields.Integer(attribute="in_use", metadata={"description": "Offered to it today"})
    free = fields.Integer(allow_none=True, metadata={"description": "Places free today; null: not declared today"})
    open_referrals = fields.Integer(metadata={"description": "Open referrals with it now"})


class HospitalDelaysSchema(Schema):
    hospital_ods = fields.String(allow_none=True)
    patients_delayed = fields.Integer()
    delayed_days = fields.Integer()


class DelayedDischargesSchema(Schema):
    patients_delayed = fields.Integer(metadata={
        "description": "Patients still in hospital after their discharge ready date: today's delayed days"})
    delayed_days = fields.Integer(metadata={
        "description": "Delayed days so far of those patients, together (today - discharge ready date, each)"})
    hospitals = fields.List(fields.Nested(HospitalDelaysSchema))


class StatusFeedSchema(Schema):
    generated_at = fields.AwareDateTime()
    date = fields.Date(metadata={"description": "Today (UK): the day the figures are for"})
    routes = fields.List(fields.Nested(RouteNowSchema))
    two_hour = fields.Nested(TwoHourFiguresSchema, metadata={
        "description": "2-hour urgent community response against the national ambition"})
    capacity = fields.List(fields.Nested(ServiceCapacitySchema), metadata={"description": "Clinical services"})
    duty = fields.List(fields.Nested(DutyOrganisationSchema), metadata={
        "description": "Voluntary organisations on duty today"})
    delayed_discharges = fields.Nested(DelayedDischargesSchema)
