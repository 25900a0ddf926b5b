"""discharge.yaml: the reasons a patient stays in hospital past the discharge
ready date (each delayed day is recorded with one), and the UK time of day the
hub's supervisor is told that no reason was recorded for today."""
import re
from dataclasses import dataclass
from datetime import time
from types import MappingProxyType

from .errors import PolicyError, check_fields

FILE = "discharge.yaml"
_TOP = ("delay_reasons", "delay_alert_at")
# A code is what systems send and reports count: delayed_days.reason holds it.
REASON_MAX = 40
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


@dataclass(frozen=True)
class DischargePolicy:
    delay_reasons: MappingProxyType  # code -> label, in the file's order
    delay_alert_at: time  # UK wall time

    def reason_label(self, code: str) -> str:
        """A recorded reason as staff read it; a code since removed from the file still shows."""
        return self.delay_reasons.get(code) or code.replace("_", " ")


def load_discharge(data: dict) -> DischargePolicy:
    check_fields(FILE, None, data, _TOP, required=_TOP)
    return DischargePolicy(delay_reasons=_reasons(data["delay_reasons"]),
                           delay_alert_at=_alert_at(data["delay_alert_at"]))


def _reasons(data) -> MappingProxyType:
    where = "delay_reasons"
    if not isinstance(data, dict) or not data:
        raise PolicyError(FILE, "should map each reason's code to its label, e.g. "
                          "awaiting_care_package: Awaiting a package of care at home", where)
    reasons = {}
    for code, label in data.items():
        if not isinstance(code, str) or not _CODE.match(code) or len(code) > REASON_MAX:
            raise PolicyError(FILE, f"code {code!r} should be lower-case letters, digits and _ "
                              f"(at most {REASON_MAX} characters), e.g. awaiting_care_package", where)
        if not isinstance(label, str) or not label.strip() or len(label.strip()) > 100:
            raise PolicyError(FILE, f"{code}: label should be a few words staff read "
                              "(put it in quotes if YAML reads it otherwise)", where)
        reasons[code] = label.strip()
    return MappingProxyType(reasons)


def _alert_at(value) -> time:
    where = "delay_alert_at"
    # Unquoted 12:00 is read by YAML 1.1 as 720 (minutes, sexagesimal): ask for quotes.
    if not isinstance(value, str):
        raise PolicyError(FILE, f"time {value!r} should be quoted, e.g. \"12:00\"", where)
    if not _TIME.match(value.strip()):
        raise PolicyError(FILE, f"time {value!r} should be a UK time of day, e.g. \"12:00\"", where)
    return time.fromisoformat(value.strip())
