"""Services and voluntary organisations: set up, put on the duty rota, deactivated,
by an administrator (the Services page) or the CLI, from data loaded by
schemas/services.py."""
from sqlalchemy import select

from spoa.extensions import db
from spoa.models import Service, User
from spoa.schemas.form_input import one_error
from spoa.services.admin_change import record, refuse_if_taken, saving


def _code_taken(code: str) -> bool:
    return db.session.scalar(select(Service.id).where(Service.code == code)) is not None


def create_service(*, code: str, name: str, by: User | None) -> Service:
    """One of the policy's services, set up once."""
    taken = f"The service {code} is already set up"
    refuse_if_taken(_code_taken(code), "code", taken)
    service = Service(code=code, name=name)
    with saving("code", taken):
        db.session.add(service)
        db.session.flush()
        record(by, "service_created", service_id=service.id, code=code, name=name)
    return service


def create_voluntary_org(*, code: str, name: str, duty_days: list[int], by: User | None) -> Service:
    """A voluntary organisation on the duty rota. Its capacity is declared each day
    it is on duty (the service's capacity page); until then it is offered nothing."""
    taken = f"There is already a service or organisation with the code {code}"
    refuse_if_taken(_code_taken(code), "code", taken)
    org = Service(code=code, name=name, kind="voluntary", duty_days=duty_days)
    with saving("code", taken):
        db.session.add(org)
        db.session.flush()
        record(by, "voluntary_org_created", service_id=org.id, code=code, name=name, duty_days=duty_days)
    return org


def set_duty_days(org: Service, duty_days: list[int], by: User | None) -> None:
    if org.kind != "voluntary":
        raise one_error("duty_days", f"{org.name} is not a voluntary organisation: it has no duty rota")
    if list(org.duty_days or []) != duty_days:
        before, org.duty_days = list(org.duty_days or []), duty_days
        record(by, "duty_days_changed", service_id=org.id, code=org.code, before=before, after=duty_days)
    db.session.commit()


def set_service_active(service: Service, active: bool, by: User) -> None:
    if service.is_active != active:
        service.is_active = active
        record(by, "service_reactivated" if active else "service_deactivated", service_id=service.id,
               code=service.code)
    db.session.commit()
