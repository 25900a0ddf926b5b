"""Loading rules/fhir_mapping.yaml: which codes in a BaRS message mean which
presenting need, red flag or ambulance category. Data, not code: the FHIR adapter
looks codes up here and the routing policy decides; a bad edit stops the app
starting (as a bad policy file does), never a referral mid-intake."""
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from .errors import PolicyError, read_yaml

DEFAULT_FILE = Path(__file__).parent / "fhir_mapping.yaml"
FILE = "fhir_mapping.yaml"
NEED_SYSTEMS = ("snomed", "pathways_pathway", "pathways_symptom_group")
FLAG_SYSTEMS = ("snomed", "pathways_pathway")
SECTIONS = ("presenting_need", "red_flags", "arp_category_systems")
_CODE = re.compile(r"^[A-Za-z0-9]{1,20}$")


def normalise_code(code: str) -> str:
    """DX02, Dx02 and ' dx 02 ' are one code: upper case, no spaces."""
    return re.sub(r"\s+", "", code or "").upper()


@dataclass(frozen=True)
class FhirMapping:
    needs: MappingProxyType        # system -> {CODE: need}
    red_flags: MappingProxyType    # system -> {CODE: red flag}
    arp_category_systems: tuple

    def need_for(self, system: str, code: str) -> str | None:
        return self.needs.get(system, {}).get(normalise_code(code))

    def red_flag_for(self, system: str, code: str) -> str | None:
        return self.red_flags.get(system, {}).get(normalise_code(code))


def _table(section: dict, systems, allowed, where: str) -> MappingProxyType:
    if not isinstance(section, dict):
        raise PolicyError(FILE, "should map code systems to codes", where)
    unknown = set(section) - set(systems)
    if unknown:
        raise PolicyError(FILE, f"unknown code system {sorted(unknown)[0]!r} (one of {', '.join(systems)})", where)
    tables = {}
    for system in systems:
        codes = section.get(system) or {}
        if not isinstance(codes, dict):
            raise PolicyError(FILE, "should map codes to values", f"{where}.{system}")
        table = {}
        for code, value in codes.items():
            text = str(code)
            if not _CODE.match(text):
                raise PolicyError(FILE, f"{text!r} is not a code (letters and digits)", f"{where}.{system}")
            if value not in allowed:
                raise PolicyError(FILE, f"{value!r} is not one of {', '.join(sorted(allowed))}",
                                  f"{where}.{system}.{text}")
            if normalise_code(text) in table:
                raise PolicyError(FILE, f"{text!r} is listed twice (codes ignore case)", f"{where}.{system}")
            table[normalise_code(text)] = value
        tables[system] = MappingProxyType(table)
    return MappingProxyType(tables)


def load_fhir_mapping(needs, red_flags, path: Path | str | None = None) -> FhirMapping:
    """The mapping, checked against the intake contract's needs and red flags
    (passed in: rules/ does not import the app)."""
    data = read_yaml(FILE, Path(path or DEFAULT_FILE).read_bytes())
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise PolicyError(FILE, f"unknown section {sorted(unknown)[0]!r} (one of {', '.join(SECTIONS)})")
    systems = data.get("arp_category_systems") or []
    if not isinstance(systems, list) or not all(isinstance(s, str) and s for s in systems):
        raise PolicyError(FILE, "should be a list of code system URLs", "arp_category_systems")
    return FhirMapping(
        needs=_table(data.get("presenting_need") or {}, NEED_SYSTEMS, set(needs), "presenting_need"),
        red_flags=_table(data.get("red_flags") or {}, FLAG_SYSTEMS, set(red_flags), "red_flags"),
        arp_category_systems=tuple(systems),
    )
