"""Config files and flag values -> a validated :class:`Problem` and :class:`SolverSettings` (pure).

One key name per setting, everywhere: the CLI flag without ``--`` and with ``-`` turned into
``_`` (``--max-ratio`` is ``max_ratio``). A TOML config holds them in three tables, which are
also the ``"problem"`` and ``"solver"`` objects of the JSON that ``cpshape solve`` writes, so
that JSON is itself a config::

    [problem]               input, output, params, depths, tolerance, tolerance_abs,
                            bias, same_count, prefer
    [problem.constraints]   min_width, max_width, max_ratio, ratio_range, monotone,
                            multiple_of, pins, max_spread
    [solver]                time_limit, deterministic_limit, workers, seed, dp_work

Every value is parsed on load, so a bad one is reported with its file, key and value; flags
override file values key by key (:func:`merge`). Fractions are written as exact strings
(:func:`fraction_text`), so a round trip through JSON is exact.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from .spec import Constraints, Monotone, Prefer, Problem, SolverSettings, SpecError, to_fraction

__all__ = [
    "KEYS", "ConfigError", "Setting", "build", "fraction_text", "from_flags", "load", "merge", "parse_count",
    "parse_depths", "parse_pin", "parse_ratio_range", "problem_to_dict", "settings_to_dict", "template",
]  # fmt: skip


class ConfigError(SpecError):
    """A bad config file or flag value; the message names the file or flag, the key and the value."""


@dataclass(frozen=True)
class Setting:
    """A parsed value and where it came from (``"run.toml: problem.params"`` or ``"--params"``)."""

    value: Any
    source: str


# --------------------------------------------------------------------------- value parsers

_SUFFIX = {"k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9, "B": 10**9}
_COUNT = re.compile(r"^\s*([+-]?[0-9_.]+(?:[eE][+-]?[0-9]+)?)\s*([kKMGB]?)\s*$")


def parse_count(value: object, name: str) -> int:
    """A whole number from ``100000``, ``"100_000"``, ``"100k"``, ``"1.5M"``, ``"2e6"`` or ``2e6``."""
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a whole number, got {value!r}")
    if isinstance(value, int):
        return value
    exact: Fraction | None = None
    if isinstance(value, float) and value.is_integer():
        exact = Fraction(value)
    elif isinstance(value, str) and (match := _COUNT.match(value)):
        try:
            exact = Fraction(match.group(1).replace("_", "")) * _SUFFIX.get(match.group(2), 1)
        except (ValueError, ZeroDivisionError):
            exact = None
    if exact is None:
        raise ConfigError(
            f"{name}: expected a whole number such as 100000, 100_000, 100k, 1.5M or 2e6, got {value!r}"
        )
    if exact.denominator != 1:
        raise ConfigError(f"{name}: {value!r} is not a whole number")
    return int(exact)


def _whole(value: object, name: str, minimum: int) -> int:
    number = parse_count(value, name)
    if number < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value!r}")
    return number


def parse_depths(value: object, name: str) -> tuple[int, ...]:
    """Depths from ``3``, ``"5-12"``, ``"1,2,4,8"``, ``"1-3,8"`` or a list of numbers."""
    items: list[object]
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        items = [value]
    depths: set[int] = set()
    for item in items:
        if isinstance(item, str) and "-" in item.strip().lstrip("-"):
            lo_text, _, hi_text = item.strip().partition("-")
            lo, hi = _depth(lo_text, name, value), _depth(hi_text, name, value)
            if lo > hi:
                raise ConfigError(f"{name}: range {item!r} runs backwards (write {hi}-{lo})")
            depths.update(range(lo, hi + 1))
        else:
            depths.add(_depth(item, name, value))
    if not depths:
        raise ConfigError(f"{name}: no depths in {value!r}")
    return tuple(sorted(depths))


def _depth(item: object, name: str, whole: object) -> int:
    try:
        depth = parse_count(item.strip() if isinstance(item, str) else item, name)
    except ConfigError:
        raise ConfigError(
            f"{name}: cannot read depths {whole!r} (use 3, 5-12, 1,2,4,8 or 1-3,8)"
        ) from None
    if depth < 1:
        raise ConfigError(f"{name}: depth must be >= 1 (number of hidden layers), got {depth} in {whole!r}")
    return depth


def _fraction(value: object, name: str) -> Fraction:
    try:
        return to_fraction(value, name)
    except SpecError as exc:
        raise ConfigError(str(exc)) from None


def _tolerance(value: object, name: str) -> Fraction:
    tol = _fraction(value, name)
    if not 0 <= tol < 1:
        raise ConfigError(f"{name} must be a fraction in [0, 1) such as 0.01 or 1%, got {value!r}")
    return tol


def _max_ratio(value: object, name: str) -> Fraction:
    ratio = _fraction(value, name)
    if ratio < 1:
        raise ConfigError(f"{name} must be >= 1, got {value!r}")
    return ratio


def parse_ratio_range(value: object, name: str) -> tuple[Fraction, Fraction]:
    """``"3:6"``, ``"1.25:2"``, ``["3", "6"]`` or ``[1.25, 2]`` -> exact ``(lo, hi)``."""
    parts: list[object]
    if isinstance(value, str) and ":" in value:
        parts = list(value.split(":"))
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ConfigError(f"{name}: expected LO:HI such as 3:6, got {value!r}")
    if len(parts) != 2:
        raise ConfigError(f"{name}: expected exactly two bounds LO:HI, got {value!r}")
    lo, hi = _fraction(parts[0], f"{name} LO"), _fraction(parts[1], f"{name} HI")
    if lo <= 0:
        raise ConfigError(f"{name}: LO must be > 0, got {value!r}")
    if lo > hi:
        raise ConfigError(f"{name}: LO > HI in {value!r}")
    return lo, hi


def parse_pin(value: object, name: str) -> tuple[int, int]:
    """``"3=64"`` or ``[3, 64]`` -> ``(layer, width)``; layers count from 1 (first hidden)."""
    parts: list[object] | None = None
    if isinstance(value, str) and value.count("=") == 1:
        parts = list(value.split("="))
    elif isinstance(value, list | tuple) and len(value) == 2:
        parts = list(value)
    if parts is None:
        raise ConfigError(f"{name}: expected LAYER=WIDTH such as 1=64, got {value!r}")
    try:
        layer, width = (parse_count(p.strip() if isinstance(p, str) else p, name) for p in parts)
    except ConfigError:
        raise ConfigError(f"{name}: expected LAYER=WIDTH such as 1=64, got {value!r}") from None
    if layer < 1 or width < 1:
        raise ConfigError(f"{name}: layer and width must be >= 1, got {value!r}")
    return layer, width


def _pins(value: object, name: str) -> tuple[tuple[int, int], ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{name}: expected a list of LAYER=WIDTH pins, got {value!r}")
    return tuple(parse_pin(item, name) for item in value)


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name}: expected true or false, got {value!r}")
    return value


def _choice(kind: type[Monotone] | type[Prefer]) -> Callable[[object, str], str]:
    def parse(value: object, name: str) -> str:
        choices = [item.value for item in kind]
        if value not in choices:
            raise ConfigError(f"{name}: expected one of {', '.join(choices)}; got {value!r}")
        return str(value)

    return parse


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{name}: expected a number of seconds, got {value!r}")
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a number of seconds, got {value!r}") from None
    if not seconds > 0 or seconds == float("inf"):
        raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
    return seconds


def _at_least(minimum: int) -> Callable[[object, str], int]:
    return lambda value, name: _whole(value, name, minimum)


# --------------------------------------------------------------------------- the key table


@dataclass(frozen=True)
class Key:
    table: str  # "problem", "problem.constraints" or "solver"
    parse: Callable[[object, str], Any]
    optional: bool = False  # may be null in JSON (unset)


KEYS: dict[str, Key] = {
    "input": Key("problem", _at_least(1)),
    "output": Key("problem", _at_least(1)),
    "params": Key("problem", _at_least(1)),
    "depths": Key("problem", parse_depths),
    "tolerance": Key("problem", _tolerance),
    "tolerance_abs": Key("problem", _at_least(0), optional=True),
    "bias": Key("problem", _bool),
    "same_count": Key("problem", _bool),
    "prefer": Key("problem", _choice(Prefer)),
    "min_width": Key("problem.constraints", _at_least(1)),
    "max_width": Key("problem.constraints", _at_least(1), optional=True),
    "max_ratio": Key("problem.constraints", _max_ratio, optional=True),
    "ratio_range": Key("problem.constraints", parse_ratio_range, optional=True),
    "monotone": Key("problem.constraints", _choice(Monotone)),
    "multiple_of": Key("problem.constraints", _at_least(1)),
    "pins": Key("problem.constraints", _pins),
    "max_spread": Key("problem.constraints", _at_least(0), optional=True),
    "time_limit": Key("solver", _seconds, optional=True),
    "deterministic_limit": Key("solver", _seconds),
    "workers": Key("solver", _at_least(1)),
    "seed": Key("solver", _at_least(0)),
    "dp_work": Key("solver", _at_least(0)),
}
REQUIRED = ("input", "output", "params", "depths")
#: Top-level keys of the solve (and pareto) JSON that are not config keys; ignored on load.
OUTPUT_ONLY = ("cpshape", "ortools", "band", "shared_count", "all_optimal", "results", "dp_work")
_TABLES = ("problem", "problem.constraints", "solver")


def flag_name(key: str) -> str:
    return "--" + key.replace("_", "-")


def from_flags(values: Mapping[str, object]) -> dict[str, Setting]:
    """Parse flag values (``None`` = flag not given) keyed by config key name."""
    settings: dict[str, Setting] = {}
    for key, raw in values.items():
        if raw is None or (key == "pins" and not raw):
            continue
        name = flag_name(key if key != "pins" else "pin")
        settings[key] = Setting(KEYS[key].parse(raw, name), name)
    return settings


def load(path: str | Path) -> dict[str, Setting]:
    """Read a TOML config, or the JSON that ``cpshape solve --format json`` wrote."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {str(path)!r} cannot be read: {exc}") from None
    is_json = path.suffix.lower() == ".json" or text.lstrip().startswith("{")
    try:
        data = json.loads(text) if is_json else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: invalid {'JSON' if is_json else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of settings at the top level")
    return _read_tables(data, str(path), skip=OUTPUT_ONLY if is_json else ())


def _read_tables(data: dict[str, Any], file: str, skip: tuple[str, ...]) -> dict[str, Setting]:
    settings: dict[str, Setting] = {}

    def walk(table: dict[str, Any], prefix: str) -> None:
        for name, value in table.items():
            dotted = f"{prefix}.{name}" if prefix else name
            if not prefix and name in skip:
                continue
            if dotted in _TABLES:
                if not isinstance(value, dict):
                    raise ConfigError(f"{file}: {dotted} must be a table, got {value!r}")
                walk(value, dotted)
                continue
            key = KEYS.get(name)
            if key is None or key.table != prefix:
                raise ConfigError(f"{file}: unknown key {dotted} = {value!r}{_hint(dotted)}")
            if value is None and key.optional:
                settings[name] = Setting(None, f"{file}: {dotted}")
                continue
            source = f"{file}: {dotted}"
            settings[name] = Setting(key.parse(value, source), source)

    walk(data, "")
    return settings


def _hint(dotted: str) -> str:
    name = dotted.rpartition(".")[2]
    if name in KEYS:
        return f" (did you mean {KEYS[name].table}.{name}?)"
    known = [f"{key.table}.{k}" for k, key in KEYS.items()] + list(_TABLES)
    close = difflib.get_close_matches(dotted, known, n=1) or difflib.get_close_matches(name, list(KEYS), n=1)
    if close:
        match = f"{KEYS[close[0]].table}.{close[0]}" if close[0] in KEYS else close[0]
        return f" (did you mean {match}?)"
    return ""


def merge(file: Mapping[str, Setting], flags: Mapping[str, Setting]) -> dict[str, Setting]:
    """File settings overridden by flags, key by key.

    Giving ``--tolerance`` drops a file's ``tolerance_abs`` and vice versa: the band is set
    by one or the other.
    """
    merged = dict(file)
    for one, other in (("tolerance", "tolerance_abs"), ("tolerance_abs", "tolerance")):
        if one in flags:
            merged.pop(other, None)
    merged.update(flags)
    return merged


def build(settings: Mapping[str, Setting]) -> tuple[Problem, SolverSettings]:
    """The validated problem and solver settings; missing keys take the spec defaults."""
    missing = [key for key in REQUIRED if key not in settings]
    if missing:
        names = ", ".join(f"{flag_name(k)} (problem.{k})" for k in missing)
        raise ConfigError(f"missing {names}: give the flag or set it in a --config file")
    values = {key: setting.value for key, setting in settings.items() if setting.value is not None}
    if values.get("tolerance") and "tolerance_abs" in values:
        sources = f"{settings['tolerance'].source} and {settings['tolerance_abs'].source}"
        raise ConfigError(f"give tolerance (relative) or tolerance_abs (a count), not both: {sources}")
    pick = {k: values[k] for k in KEYS if k in values}
    rules = {k: pick[k] for k in KEYS if KEYS[k].table == "problem.constraints" and k in pick}
    solver = {k: pick[k] for k in KEYS if KEYS[k].table == "solver" and k in pick}
    problem = Problem(
        input_size=pick["input"],
        output_size=pick["output"],
        params=pick["params"],
        depths=pick["depths"],
        constraints=Constraints(**rules),
        **{k: pick[k] for k in ("tolerance", "tolerance_abs", "bias", "same_count", "prefer") if k in pick},
    )
    return problem, SolverSettings(**solver)


# --------------------------------------------------------------------------- writing


def fraction_text(value: Fraction) -> str:
    """Exact text of a fraction: ``"2"``, ``"1.25"``, ``"0.01"`` or ``"4/3"``; read back exactly."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10**places // value.denominator
    sign = "-" if value < 0 else ""
    if not places:
        return f"{sign}{scaled}"
    digits = str(scaled).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The ``[problem]`` table as plain JSON values, every key present (``None`` = unset)."""
    rules = problem.constraints
    return {
        "input": problem.input_size,
        "output": problem.output_size,
        "params": problem.params,
        "depths": list(problem.depths),
        "tolerance": fraction_text(problem.tolerance),
        "tolerance_abs": problem.tolerance_abs,
        "bias": problem.bias,
        "same_count": problem.same_count,
        "prefer": problem.prefer.value,
        "constraints": {
            "min_width": rules.min_width,
            "max_width": rules.max_width,
            "max_ratio": None if rules.max_ratio is None else fraction_text(rules.max_ratio),
            "ratio_range": None if rules.ratio_range is None else list(map(fraction_text, rules.ratio_range)),
            "monotone": rules.monotone.value,
            "multiple_of": rules.multiple_of,
            "pins": [[layer, width] for layer, width in rules.pins],
            "max_spread": rules.max_spread,
        },
    }


def settings_to_dict(settings: SolverSettings) -> dict[str, Any]:
    """The ``[solver]`` table as plain JSON values."""
    return {
        "time_limit": settings.time_limit,
        "deterministic_limit": settings.deterministic_limit,
        "workers": settings.workers,
        "seed": settings.seed,
        "dp_work": settings.dp_work,
    }


def template() -> str:
    """A commented TOML config for ``cpshape init``; it loads and runs as it stands."""
    return (resources.files("cpshape") / "data" / "config_template.toml").read_text(encoding="utf-8")
