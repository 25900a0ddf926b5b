"""The direction of imports: rules <- spoa <- workers <- entry points (wsgi.py).

rules/ is the pure policy (no Flask, no app); spoa/ is the app and its domain;
workers/ runs spoa's work in RQ; wsgi.py puts them together. An import against
the direction is how import cycles came about (the CLI importing the
worker, /health importing the reconciler), usually hidden inside a function: so
every import statement counts here, at module level or not.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Cycles older than this test, outside the layers it pins (each two modules
# importing each other, one of them late): listed so that no new one can join them.
KNOWN_CYCLES = []  # none: a new one fails the test


def _modules(*packages: str) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every module ``module`` imports, anywhere in its file, as absolute names."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _is(name: str, *tops: str) -> bool:
    return any(name == top or name.startswith(top + ".") for top in tops)


def test_spoa_never_imports_workers():
    found = {module: sorted(n for n in _imports(module, path) if _is(n, "workers"))
             for module, path in _modules("spoa").items()}
    assert {m: names for m, names in found.items() if names} == {}


def test_rules_never_imports_spoa_workers_or_flask():
    found = {module: sorted(n for n in _imports(module, path) if _is(n, "spoa", "workers", "flask"))
             for module, path in _modules("rules").items()}
    assert {m: names for m, names in found.items() if names} == {}


def test_no_test_module_imports_another():
    """What tests share lives in tests/support/ (helpers, data, fixtures loaded as plugins)
    or in a conftest.py: a test module imported for its helpers runs its tests' module code
    twice, and ties two subjects together."""
    found = {module: sorted(n for n in _imports(module, path)
                            if _is(n, "tests") and any(part.startswith("test_") for part in n.split(".")))
             for module, path in _modules("tests").items()}
    assert {m: names for m, names in found.items() if names} == {}


def test_the_test_module_check_sees_a_relative_import(tmp_path):
    path = tmp_path / "test_a.py"
    path.write_text("from .test_b import helper\n")
    assert "tests.web.test_b.helper" in _imports("tests.web.test_a", path)


def test_actor_is_imported_from_its_own_module_only():
    # One home for who is acting: a re-export is a second name that drifts.
    found = {module: sorted(n for n in _imports(module, path)
                                 if n.endswith(".Actor") and n != "spoa.domain.actor.Actor")
             for module, path in _modules("spoa", "workers", "tests").items()}
    assert {m: names for m, names in found.items() if names} == {}


def _graph() -> dict[str, set[str]]:
    modules = _modules("rules", "spoa", "workers")
    graph = {}
    for module, path in modules.items():
        deps = set()
        for name in _imports(module, path):
            while name not in modules and "." in name:
                name = name.rpartition(".")[0]
            # A package importing its own modules (a blueprint's routes register on
            # import) is how a package is put together, not a cycle between ideas.
            if name in modules and name != module and not (path.name == "__init__.py"
                                                             and name.startswith(module + ".")):
                deps.add(name)
        graph[module] = deps
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def test_no_new_import_cycle():
    # Among them: spoa/web/actions.py <-> referrals.py (shared page helpers are in pages.py
    # now), workers/jobs.py <-> the module that scheduled chases (queue names are in queues.py).
    assert _cycles(_graph()) == KNOWN_CYCLES


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_the_app_built_in_a_fresh_interpreter_loads_no_worker_code(tmp_path):
    # Every spoa module imported, and the app built, as gunicorn would, but not through wsgi.py.
    script = (
        "import pkgutil, importlib, sys\n"
        "import spoa\n"
        "for info in pkgutil.walk_packages(spoa.__path__, 'spoa.'):\n"
        "    importlib.import_module(info.name)\n"
        "spoa.create_app()\n"
        "leaked = sorted(m for m in sys.modules if m == 'workers' or m.startswith('workers.'))\n"
        "assert not leaked, leaked\n"
    )
    env = {**os.environ, "SECRET_KEY": "layering-test", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)


def test_the_entry_point_adds_the_worker_commands(tmp_path):
    env = {**os.environ, "SECRET_KEY": "layering-test", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "spoa", "--help"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True)
    commands = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()}
    assert {"worker", "reconcile", "create-user", "seed-demo"} <= commands


# spoa's layers, lowest first: a module imports its own layer and those below, never above.
# platform is plumbing (nothing of referrals); models the tables; domain the referral's rules
# (never commits, never reads the request); schemas the wire formats in and out (JSON and
# FHIR); services the units of work and notifications the outbox they fill; then the read
# side; live pages; the surfaces; and the wiring at the root (create_app, errors, the CLI).
LAYERS = (
    ("spoa.extensions",),
    ("spoa.platform",),
    ("spoa.models",),
    ("spoa.domain",),
    ("spoa.schemas",),
    ("spoa.services", "spoa.notifications"),
    ("spoa.reports", "spoa.replay", "spoa.metrics"),
    ("spoa.live",),
    ("spoa.api", "spoa.fhir", "spoa.web"),
    ("spoa.cli", "spoa.config", "spoa.errors", "spoa"),
)
# Surfaces share a layer but not their insides, except: FHIR is the API's second dialect, so
# its clients authenticate and are rate-limited as the API's are.
SURFACE_EDGES = {("spoa.fhir", "spoa.api")}
SURFACES = LAYERS[-2]


def _home(module: str) -> tuple[int, str] | None:
    """The layer and package a spoa module belongs to (the longest listed prefix)."""
    best = None
    for rank, packages in enumerate(LAYERS):
        for package in packages:
            if _is(module, package) and (best is None or len(package) > len(best[1])):
                best = (rank, package)
    return best


def test_every_package_and_root_module_of_spoa_has_a_layer():
    spoa_dir = ROOT / "spoa"
    listed = {p for packages in LAYERS for p in packages}
    packages = {f"spoa.{p.name}" for p in spoa_dir.iterdir() if (p / "__init__.py").exists()}
    root_modules = {f"spoa.{p.stem}" for p in spoa_dir.glob("*.py") if p.stem != "__init__"}
    assert packages | root_modules <= listed, sorted((packages | root_modules) - listed)
    assert sorted(listed - packages - root_modules - {"spoa"}) == []


def test_the_root_of_spoa_holds_the_wiring_only():
    assert len(list((ROOT / "spoa").glob("*.py"))) <= 10


def test_imports_between_spoa_packages_follow_the_layers():
    wrong = []
    for module, path in _modules("spoa").items():
        mine = _home(module)
        for name in _imports(module, path):
            theirs = _home(name) if _is(name, "spoa") else None
            if theirs is None or theirs[1] == mine[1]:
                continue
            if theirs[0] > mine[0]:
                wrong.append(f"{module} -> {name}")
            elif theirs[0] == mine[0] and mine[1] in SURFACES and (mine[1], theirs[1]) not in SURFACE_EDGES:
                wrong.append(f"{module} -> {name}")
    assert wrong == []


def test_the_layer_check_sees_an_import_upwards():
    assert _home("spoa.platform.database")[0] < _home("spoa.services.intake")[0] < _home("spoa.web.queue")[0]
    assert _home("spoa") == (len(LAYERS) - 1, "spoa")


def test_the_domain_never_commits_nor_reads_the_request():
    found = []
    for module, path in _modules("spoa/domain").items():
        text = path.read_text()
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "commit":
                found.append(f"{module}:{node.lineno} commit")
        if any(_is(n, "flask.request") or n == "flask.request" for n in _imports(module, path)):
            found.append(f"{module} reads flask.request")
    assert found == []
