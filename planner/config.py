"""Scenario: what to run, read from a TOML file and validated before anything else happens.

Paths in a scenario resolve relative to the scenario file. Unknown keys, wrong types and
missing files are all reported together as one :class:`~planner.errors.InputError`.
"""

from __future__ import annotations

import atexit
import math
import re
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, get_args

from .errors import InputError, Problem, ProblemCollector
from .text import clock_minutes

if TYPE_CHECKING:  # pragma: no cover - GeoPandas loads on first use, not at import
    import geopandas as gpd
    import pandas as pd

NetworkFrames: TypeAlias = "gpd.GeoDataFrame | pd.DataFrame | list[pd.DataFrame] | None"
"""The network given as frames: a line GeoDataFrame, a link table, or a list of both."""

SiteModel = Literal["target", "max_coverage", "p_median", "p_center", "set_cover"]
"""The site-choice models (see :class:`SitesSpec`)."""
SITE_MODELS: tuple[str, ...] = get_args(SiteModel)
Minimise = Literal["sites", "cost"]
"""What the target and set-cover models minimise: new sites or total round-trip cost."""
SignalKind = Literal["blank_spot", "coverage"]
"""What the signal layer's polygons are: blank spots, or where there is coverage."""
"""Site-choice models: fewest stops (or least cost) reaching a target; the k stops covering
the most people; the k stops minimising total travel time (p-median); the k stops minimising
the longest travel time (p-center); the fewest stops covering every village in reach (set
covering)."""

REACH_BANDS: tuple[str, ...] = ("<=1h", "1-3h", "3-8h", "8-24h", ">24h", "unreachable")
"""Reach band labels, in order of increasing travel time (minutes from the nearest service)."""


DEFAULT_WEIGHTS = {"gap": 0.6, "remoteness": 0.25, "blank_spot": 0.15}
"""The priority weights of a scenario that gives none."""


@dataclass(frozen=True)
class Layer:
    """A file with the columns the planner should read from it."""

    path: Path
    code: str = "kode"
    name: str = "nama"
    sheet: str | None = None
    layer: str | None = None


@dataclass(frozen=True)
class AdminLevel:
    """A parent administrative level (e.g. kecamatan) matched to villages by code prefix.

    ``prefix_digits`` counts digits of the village code without separators (Indonesia:
    kecamatan 6, kabupaten 4).
    """

    level: str
    layer: Layer
    prefix_digits: int


@dataclass(frozen=True)
class Indicator:
    """A service indicator with an eligible and a served count per village.

    Output columns are ``{key}_eligible``, ``{key}_{served_suffix}`` and ``{key}_gap``.
    """

    key: str
    label: str
    eligible: str
    served: str
    served_suffix: str = "served"
    weight: float = 1.0
    target: float | None = None

    @property
    def eligible_col(self) -> str:
        """The column of eligible people: ``{key}_eligible``."""
        return f"{self.key}_eligible"

    @property
    def served_col(self) -> str:
        """The column of people served: ``{key}_{served_suffix}``."""
        return f"{self.key}_{self.served_suffix}"

    @property
    def gap_col(self) -> str:
        """The column of people without it: ``{key}_gap``."""
        return f"{self.key}_gap"


@dataclass(frozen=True)
class Access:
    """Off-network access on foot from a point to the nearest network node.

    Attributes
    ----------
    walk_kmh : float
        Walking speed, km/h.
    detour : float
        Ratio of path length to straight-line length (>= 1).
    max_km : float
        Longest straight-line connector, km; farther points are flagged and not connected.
    """

    walk_kmh: float = 4.0
    detour: float = 1.3
    max_km: float = 25.0

    def __post_init__(self) -> None:
        """Refuse values outside the ranges ``[access]`` allows (every problem at once)."""
        _refuse(_check_numbers(self, "[access]", {"walk_kmh": None, "detour": None,
                                                  "max_km": None}))


@dataclass(frozen=True)
class ClassSpec:
    """How lines of one class (e.g. ``primary``, ``river``) become edges.

    Attributes
    ----------
    mode : str
        Travel mode of the class (road, track, river, sea, air, foot...); transfers are
        counted when the mode changes.
    speed_kmh : float or None
        Speed along the line, km/h (for rivers: downstream, the line's direction).
    upstream_kmh : float or None
        Speed against the line's direction, km/h (rivers); ``None`` = same as ``speed_kmh``.
    rupiah_per_km : float or None
        Cost per km (fuel, charter), rupiah; ``None`` = unknown.
    """

    mode: str
    speed_kmh: float | None = None
    upstream_kmh: float | None = None
    rupiah_per_km: float | None = None

    def __post_init__(self) -> None:
        """Refuse speeds and costs outside their ranges (every problem at once)."""
        _refuse(_check_numbers(self, f"[network.classes] ({self.mode})",
                               {"speed_kmh": None, "upstream_kmh": None,
                                "rupiah_per_km": None}))


@dataclass(frozen=True)
class SeasonRule:
    """In a season, a class is slower (``speed_factor`` < 1) or closed."""

    speed_factor: float = 1.0
    closed: bool = False

    def __post_init__(self) -> None:
        """Refuse a speed factor outside (0, 10]."""
        _refuse(_check_numbers(self, "[network.seasons]", {"speed_factor": None}))


@dataclass(frozen=True)
class Places:
    """A point layer (airstrips, ports, jetties) whose points link tables can name as
    ``{prefix}:{code}``; with ``landing`` its points are also landings where land and water
    lines meet (see :func:`planner.network.build_network`)."""

    layer: Layer
    prefix: str
    landing: bool = False


@dataclass(frozen=True)
class NetworkSpec:
    """Where the travel network comes from and how it is priced in time and money.

    Line layers, OSM extracts and link tables may be mixed. ``classes`` maps a class (the
    value of ``class_column`` in a line layer, or an OSM class) to its :class:`ClassSpec`;
    a class not listed is its own mode at ``speed_kmh[mode]``. ``transfer_minutes`` maps
    ``"from>to"`` mode pairs (``*`` = any mode) to a penalty paid when the mode changes.
    """

    lines: tuple[Path, ...] = ()
    class_column: str = "mode"
    links: tuple[Path, ...] = ()
    osm: tuple[Path, ...] = ()
    places: tuple[Places, ...] = ()
    speed_kmh: dict[str, float] = field(default_factory=dict)
    classes: dict[str, ClassSpec] = field(default_factory=dict)
    rupiah_per_km: dict[str, float] = field(default_factory=dict)
    season: str = ""
    seasons: dict[str, dict[str, SeasonRule]] = field(default_factory=dict)
    transfer_minutes: dict[str, float] = field(default_factory=dict)
    snap_m: float = 1.0
    landing_m: float = 250.0

    def __post_init__(self) -> None:
        """Refuse speeds, costs or transfer times outside their ranges and transfer keys that
        are not ``from>to`` (every problem at once). The season is checked by
        :class:`Scenario`: lines may name seasons of their own (OSM fords, a line layer's
        ``closed_seasons``), a scenario file names those it uses."""
        problems = _check_numbers(self, "[network]", {"snap_m": None, "landing_m": None})
        pc = ProblemCollector()
        for table, rule in (("speed_kmh", "speed_kmh"), ("rupiah_per_km", "rupiah_per_km"),
                            ("transfer_minutes", "transfer_minutes")):
            for key, v in getattr(self, table).items():
                if isinstance(v, bool) or not isinstance(v, int | float):
                    pc.add(SPEC, f"expected a number, found {v!r}",
                           where=f"[network.{table}]", column=key)
                else:
                    in_range(pc, SPEC, f"[network.{table}]", key, v, rule)
        for key in self.transfer_minutes:
            if key.count(">") != 1:
                pc.add(SPEC, f"expected 'from>to' (modes or *), found {key!r}",
                       where="[network.transfer_minutes]", column=key)
        _refuse(problems + pc.problems)

    def class_spec(self, cls: str) -> ClassSpec:
        """The spec of a class, falling back to the mode of the same name.

        Parameters
        ----------
        cls : str
            The class (``primary``, ``river``...).

        Returns
        -------
        ClassSpec
            Its mode, speeds and cost.
        """
        if cls in self.classes:
            c = self.classes[cls]
            if c.speed_kmh is None and c.mode in self.speed_kmh:
                return replace(c, speed_kmh=self.speed_kmh[c.mode],
                               rupiah_per_km=c.rupiah_per_km
                               if c.rupiah_per_km is not None else self.rupiah_per_km.get(c.mode))
            if c.rupiah_per_km is None and c.mode in self.rupiah_per_km:
                return replace(c, rupiah_per_km=self.rupiah_per_km[c.mode])
            return c
        return ClassSpec(mode=cls, speed_kmh=self.speed_kmh.get(cls),
                         rupiah_per_km=self.rupiah_per_km.get(cls))

    def season_rule(self, cls: str, mode: str) -> SeasonRule:
        """The active season's rule for a class (or, failing that, its mode).

        Parameters
        ----------
        cls : str
            The class.
        mode : str
            Its mode.

        Returns
        -------
        SeasonRule
            The rule (no change when the season has none).
        """
        rules = self.seasons.get(self.season, {})
        return rules.get(cls) or rules.get(mode) or SeasonRule()

    def transfer(self, a: str, b: str) -> float:
        """Penalty for changing from mode ``a`` to mode ``b``.

        Parameters
        ----------
        a, b : str
            The modes (``*`` in the spec matches any).

        Returns
        -------
        float
            Minutes (0 within one mode).
        """
        if a == b:
            return 0.0
        for key in (f"{a}>{b}", f"*>{b}", f"{a}>*", "*>*"):
            if key in self.transfer_minutes:
                return self.transfer_minutes[key]
        return 0.0

    def files(self) -> list[Path]:
        """Every file of the spec: line layers, OSM extracts, link tables, places.

        Returns
        -------
        list of Path
            The files, in that order.
        """
        return [*self.lines, *self.links, *self.osm, *(p.layer.path for p in self.places)]


@dataclass(frozen=True)
class SitesSpec:
    """How to choose the next mobile-service sites (see :mod:`planner.decide.optimise`).

    Attributes
    ----------
    model : str
        One of :data:`SITE_MODELS`: ``"target"`` (fewest sites, or least cost, reaching the
        target), ``"max_coverage"`` (``k`` sites covering the most people), ``"p_median"``
        (``k`` sites minimising people × minutes), ``"p_center"`` (``k`` sites minimising the
        longest travel time, over a table cut at a week), ``"set_cover"`` (fewest sites, or
        least cost, covering every village some site reaches within ``cover_minutes``);
        ``""`` = do not choose sites in ``run``.
    cover_minutes : float
        A village is covered by a site when its residents reach the site within this time.
    indicator : str
        Whose gap is the demand (an indicator key, e.g. ``ktp``).
    k : int
        Number of new sites for ``max_coverage``.
    target : float or None
        Target share of eligible people served (default: the indicator's target); the
        people needed are ``ceil(target × eligible) − served``.
    minimise : str
        ``"sites"`` or ``"cost"`` (round-trip cost from the nearest office) in target mode.
    kits : int or None
        Satellite kits available: at most this many chosen sites may lie in a blank spot.
    budget : float or None
        Most total round-trip cost of the chosen sites (rupiah).
    people_per_day, days : float or None
        Capacity of a site visit: people per day × days (both needed).
    time_limit : float
        Seconds HiGHS may use before the best solution found and its proven gap are reported.
    candidates : Layer or None
        A point layer of candidate sites (village halls, schools, jetties) with an id and a
        name column; without it every village's representative point is a candidate.
    offices_count : bool
        Whether people within the cover time of an existing office count towards the target
        (default True: the office serves them, no stop is needed there; their number is
        shown apart as ``covered_by_offices``). False: only the proposed stops count.
    """

    model: SiteModel | Literal[""] = ""
    cover_minutes: float = 60.0
    indicator: str = "ktp"
    k: int = 10
    target: float | None = None
    minimise: Minimise = "sites"
    kits: int | None = None
    budget: float | None = None
    people_per_day: float | None = None
    days: float | None = None
    time_limit: float = 60.0
    candidates: Layer | None = None
    offices_count: bool = True

    def __post_init__(self) -> None:
        """Refuse an unknown model or objective and numbers outside the ranges ``[sites]``
        allows (every problem at once; the indicator is checked by :class:`Scenario`)."""
        _refuse(_one_of(self.model, ("", *SITE_MODELS), "[sites]", "model")
                + _one_of(self.minimise, ("sites", "cost"), "[sites]", "minimise")
                + _check_numbers(self, "[sites]", {
                    "target": None, "cover_minutes": None, "k": None, "people_per_day": None,
                    "days": None, "time_limit": None, "kits": None, "budget": None},
                    integers=("k", "kits")))


@dataclass(frozen=True)
class ProgressSpec:
    """Field service logs and how to read them (``[progress]``; see :mod:`planner.inputs.fieldlog`).

    Attributes
    ----------
    logs : tuple of Path
        Log files (CSV, XLSX, GeoJSON...) that ``planner run`` applies before ranking.
    baseline : str
        The date the estimates' served counts hold (``YYYY-MM-DD``): earlier sessions are
        already in them. Default: the date that ``data_date`` starts with, if any.
    as_of : str
        Apply the sessions up to this date (``YYYY-MM-DD``); default: all of them.
    max_distance_km : float
        A session point outside every village, or outside its stated village, is attached
        when it lies within this distance of it (GPS error, a stop at the village edge);
        farther, it is set aside.
    columns : dict
        Log columns by role: ``id``, ``date``, ``team``, ``village`` (the stated village: a
        code or a name), ``kecamatan`` (the stated kecamatan, to tell villages of one name
        apart),
        ``review`` (a reviewer's verdict: ODK Central's ReviewState, KoBo's
        _validation_status),
        ``lat``/``lon`` or ``geopoint`` (``"lat lon"`` or ``"[lat, lon]"``), ``sheet``
        (XLSX). Roles left out are found by the names ODK Collect and KoBoToolbox use.
    served : dict
        Indicator key -> the log column with the people served for it; default: a column
        named as the key, ``<key>_served`` or the estimates' served column.
    date_format : str
        How the dates are written when not ``YYYY-MM-DD`` (a time may follow), as
        ``strftime`` codes: ``"%d/%m/%Y"`` for 31/07/2024, ``"%d/%m/%Y %H:%M"``,
        ``"%b %d, %Y %I:%M:%S %p"`` (Briefcase), ``"%d %B %Y"`` (17 Agustus 2024).
    timezone : str
        The time zone that dates a session by its local day (an IANA name,
        ``Asia/Makassar``, or an offset, ``+08:00``); times with an offset, and the
        server's receipt times (UTC), are turned into it. Default: the whole-hour offset
        of the study area's longitude.
    max_per_session : float or None
        The most people one session can serve (per indicator); a count above it is set
        aside. Default: none (only a count above the village's whole eligible estimate is).
    """

    logs: tuple[Path, ...] = ()
    baseline: str = ""
    as_of: str = ""
    max_distance_km: float = 1.0
    columns: dict[str, str] = field(default_factory=dict)
    served: dict[str, str] = field(default_factory=dict)
    date_format: str = ""
    timezone: str = ""
    max_per_session: float | None = None


@dataclass(frozen=True)
class TripSpec:
    """How outreach teams travel (``[trips]``; see :mod:`planner.decide.trips`).

    Attributes
    ----------
    teams : int
        Teams per office; each makes one trip after another.
    max_days : int
        The longest trip, in calendar days (leaving and returning days included).
    workday : tuple of int
        When teams serve and travel: start and end, minutes after midnight (``"07:00"``,
        ``"17:00"``).
    after_dark : tuple of str
        Modes that may travel after the workday ends, until ``travel_until`` (boats and
        tracks are not among them by default; scheduled services leave when they leave).
    travel_until : int
        Minutes after midnight until which ``after_dark`` modes may travel.
    serve_minutes : float
        Minutes of service per person.
    setup_minutes : float
        Minutes to set up at each stop (once per stop).
    people_per_day : float
        People a team serves in a day at most.
    night_rupiah, day_rupiah : float
        Cost of one night away and of one trip day, per team (rupiah).
    stop_rupiah, kit_rupiah : float
        Cost of each stop set up (local costs: hall, generator fuel...) and, at a stop in a
        signal blank spot, of its satellite link (rupiah).
    trip_budget, total_budget : float
        Most a trip, and all trips together, may cost (rupiah; infinite when not set).
    kits : int
        Satellite kits per team: a stop in a signal blank spot needs one.
    start : str
        The date the first trips leave (``YYYY-MM-DD``).
    minimise : str
        ``"cost"`` (rupiah) or ``"days"`` (team days).
    """

    teams: int = 1
    max_days: int = 5
    workday: tuple[int, int] = (7 * 60, 17 * 60)
    after_dark: tuple[str, ...] = ("road",)
    travel_until: int = 21 * 60
    serve_minutes: float = 5.0
    setup_minutes: float = 30.0
    people_per_day: float = 100.0
    night_rupiah: float = 0.0
    stop_rupiah: float = 0.0
    kit_rupiah: float = 0.0
    day_rupiah: float = 0.0
    trip_budget: float = math.inf
    total_budget: float = math.inf
    kits: int = 1
    start: str = ""
    minimise: Literal["cost", "days"] = "cost"

    def __post_init__(self) -> None:
        """Refuse numbers outside the ranges ``[trips]`` allows, a workday that does not end
        after it starts, a start that is not a date and an unknown objective (every problem
        at once)."""
        where = "[trips]"
        problems = _check_numbers(self, where, {
            "teams": None, "max_days": None, "kits": "kits", "serve_minutes": None,
            "setup_minutes": None, "people_per_day": None, "night_rupiah": None,
            "stop_rupiah": "night_rupiah", "kit_rupiah": "night_rupiah",
            "day_rupiah": None, "trip_budget": None, "total_budget": None},
            integers=("teams", "max_days", "kits"), unset=(math.inf,))
        day = self.workday
        if not (isinstance(day, tuple) and len(day) == 2
                and all(isinstance(t, int) and 0 <= t <= 24 * 60 for t in day)):
            problems.append(Problem(SPEC, "expected the start and end of the workday in "
                                    f"minutes after midnight, found {day!r}", where,
                                    "workday"))
        elif day[0] >= day[1]:
            problems.append(Problem(SPEC, "the workday must end after it starts, e.g. "
                                    "[\"07:00\", \"17:00\"]", where, "workday"))
        if not isinstance(self.travel_until, int) or not 0 <= self.travel_until <= 48 * 60:
            problems.append(Problem(SPEC, "expected minutes after midnight, found "
                                    f"{self.travel_until!r}", where, "travel_until"))
        if self.start and not is_date(self.start):
            problems.append(Problem(SPEC, f"expected a date YYYY-MM-DD, found {self.start!r}",
                                    where, "start"))
        if not (isinstance(self.after_dark, tuple)
                and all(isinstance(m, str) for m in self.after_dark)):
            problems.append(Problem(SPEC, f"expected a list of modes, found "
                                    f"{self.after_dark!r}", where, "after_dark"))
        _refuse(problems + _one_of(self.minimise, ("cost", "days"), where, "minimise"))


@dataclass(frozen=True)
class TargetSpec:
    """A coverage target (``[[targets]]``): an indicator's share for the study area, for
    every unit of an admin level, or for some of them.

    Attributes
    ----------
    indicator : str
        The indicator key (e.g. ``ktp``).
    share : float
        The share of eligible people to be served, above 0 and at most 1; the people needed
        in an area are ``ceil(share × eligible) − served`` (at least 0).
    level : str
        ``""``: the study area as a whole; an admin level (``"kabupaten"``): every unit of
        that level (or those in ``areas``) must reach the share on its own.
    areas : tuple of str
        With ``level``, only these units (names or codes); empty = every unit.
    """

    indicator: str
    share: float
    level: str = ""
    areas: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse a share outside (0, 1] and ``areas`` without a level."""
        problems = _check_numbers(self, "[[targets]]", {"share": "target"})
        if self.areas and not self.level:
            problems.append(Problem(SPEC, "areas need a level (e.g. level = \"kabupaten\")",
                                    "[[targets]]", "areas"))
        _refuse(problems)


@dataclass(frozen=True)
class TerrainSpec:
    """Walking over terrain (``[terrain]``; see :mod:`planner.network.terrain`).

    Attributes
    ----------
    landcover : Path or None
        A land-cover raster (classes); None: no terrain (the straight walk to the network).
    speeds : dict of int to float
        Land-cover class -> walking speed on flat ground, km/h (0: impassable).
    elevation : Path or None
        An elevation raster, metres (Tobler's slope factor).
    barriers : Path or None
        A raster whose cells above 0 no one walks across (water without a bridge).
    cell_m : float or None
        The cell size, metres (default: the land cover's own resolution).
    neighbours : int
        8 or 16 moves from a cell.
    """

    landcover: Path | None = None
    speeds: dict[int, float] = field(default_factory=dict)
    elevation: Path | None = None
    barriers: Path | None = None
    cell_m: float | None = None
    neighbours: int = 8


@dataclass(frozen=True)
class Scenario:
    """Everything a run needs. Build with :func:`load_scenario`; vary with :meth:`replace`."""

    name: str
    source: Path
    villages: Layer
    service_points: Layer
    network: NetworkSpec
    indicators: tuple[Indicator, ...]
    admin: tuple[AdminLevel, ...] = ()
    estimates: Layer | None = None
    signal: Path | None = None
    signal_kind: SignalKind = "blank_spot"
    signal_layer: str | None = None
    title: str = ""
    data_date: str = ""
    illustrative: bool = False
    illustrative_note: str = ""
    crs: str = "auto"
    access: Access = field(default_factory=Access)
    sites: SitesSpec = field(default_factory=SitesSpec)
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    progress: ProgressSpec = field(default_factory=ProgressSpec)
    trips: TripSpec = field(default_factory=TripSpec)
    targets: tuple[TargetSpec, ...] = ()
    terrain: TerrainSpec = field(default_factory=TerrainSpec)

    def __post_init__(self) -> None:
        """Refuse what the specs cannot check alone: the weights, the signal kind, the
        season (defined in ``[network.seasons]``), the site choice's indicator and the
        targets' indicators and levels (every problem at once)."""
        src = str(self.source)
        pc = ProblemCollector()
        _check_weights(pc, src, self.weights)
        for problem in _one_of(self.signal_kind, ("blank_spot", "coverage"), "[signal]",
                               "kind"):
            pc.add(src, problem.message, problem.where, problem.column)
        _check_season(pc, src, self.network.season, self.network.seasons)
        _check_indicator(pc, src, self.sites.indicator, [i.key for i in self.indicators])
        _check_targets(pc, src, [(t.indicator, t.level) for t in self.targets],
                       [i.key for i in self.indicators], [a.level for a in self.admin])
        pc.raise_if_any()

    @property
    def all_targets(self) -> tuple[TargetSpec, ...]:
        """Every target: each indicator's own ``target`` (for the study area), then the
        ``[[targets]]`` tables (one kept when two say the same)."""
        out = [TargetSpec(i.key, i.target) for i in self.indicators if i.target is not None]
        out += [t for t in self.targets if t not in out]
        return tuple(out)

    @property
    def slug(self) -> str:
        """The name as a folder name (letters, digits, ``.``, ``_``, ``-``); the default output
        folder is ``out/<slug>``."""
        return slug(self.name)

    @classmethod
    def from_frames(cls, **frames_and_settings: Any) -> Scenario:
        """A scenario from GeoDataFrames and DataFrames (see :func:`scenario_from_frames`).

        Parameters
        ----------
        **frames_and_settings
            The arguments of :func:`scenario_from_frames`.

        Returns
        -------
        Scenario
            The scenario, checked as a file would be.
        """
        return scenario_from_frames(**frames_and_settings)

    def replace(self, **changes: Any) -> Scenario:
        """Return a copy with some fields changed (files are not touched).

        Keys of the network spec (``season``, ``speed_kmh``, ``transfer_minutes``...) and of
        ``access`` (``walk_kmh``, ``detour``, ``max_km``) may be given directly:
        ``scenario.replace(season="dry")``; ``sites``, ``trips`` and ``progress`` may be
        given as tables of the settings to change (``trips={"teams": 2}``), ``weights`` as
        the weights to change (``weights={"gap": 0.8}``).

        Parameters
        ----------
        **changes
            Fields of the scenario (``name``, ``crs``, ``weights``, ``sites``...) or of its
            network spec and ``access``, with their new values.

        Returns
        -------
        Scenario
            The copy; this scenario is not changed.

        Raises
        ------
        InputError
            When a value is not one the scenario file could hold (the same checks and
            messages as :func:`load_scenario`), every problem at once.
        """
        try:
            return self._replaced(dict(changes))
        except InputError as exc:  # name the scenario in the specs' own messages
            raise InputError([Problem(str(self.source), p.message, p.where, p.column)
                              if p.source == SPEC else p for p in exc.problems]) from None
        except TypeError as exc:  # an unknown field
            raise InputError([Problem(str(self.source), f"cannot change it: {exc}",
                                      "replace")]) from None

    def _replaced(self, changes: dict[str, Any]) -> Scenario:
        """The copy; each changed spec checks itself, and the problems of all of them are
        raised together."""
        problems: list[Problem] = []

        def spec(current: Any, values: dict[str, Any]) -> Any:
            try:
                return replace(current, **values) if values else current
            except InputError as exc:
                problems.extend(exc.problems)
                return current

        net_keys = {f.name for f in fields(NetworkSpec)} & changes.keys()
        acc_keys = {f.name for f in fields(Access)} & changes.keys()
        changes["network"] = spec(changes.get("network", self.network),
                                  {k: changes.pop(k) for k in net_keys})
        changes["access"] = spec(changes.get("access", self.access),
                                 {k: changes.pop(k) for k in acc_keys})
        for name in ("sites", "trips", "progress"):
            if isinstance(changes.get(name), dict):
                changes[name] = spec(getattr(self, name), changes[name])
        if isinstance(changes.get("weights"), dict):
            changes["weights"] = {**self.weights, **changes["weights"]}
        if problems:
            raise InputError(problems)
        return replace(self, **changes)

    def input_files(self) -> dict[str, Path]:
        """Every input file of the scenario, keyed by role.

        Returns
        -------
        dict of str to Path
            ``scenario``, ``villages``, ``service_points``, then ``candidates``,
            ``network_N``, ``admin_<level>``, ``estimates``, ``signal``, ``log_N`` where given.
        """
        files = {"scenario": self.source, "villages": self.villages.path,
                 "service_points": self.service_points.path}
        if self.sites.candidates is not None:
            files["candidates"] = self.sites.candidates.path
        for i, f in enumerate(self.network.files()):
            files[f"network_{i + 1}"] = f
        for a in self.admin:
            files[f"admin_{a.level}"] = a.layer.path
        if self.estimates is not None:
            files["estimates"] = self.estimates.path
        if self.signal is not None:
            files["signal"] = self.signal
        for i, f in enumerate(self.progress.logs):
            files[f"log_{i + 1}"] = f
        for key in ("landcover", "elevation", "barriers"):
            path = getattr(self.terrain, key)
            if path is not None:
                files[f"terrain_{key}"] = path
        return files


# --- parsing ---------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")


def slug(name: str) -> str:
    """A scenario name as a safe folder name.

    Parameters
    ----------
    name : str
        The name.

    Returns
    -------
    str
        Letters, digits, ``.``, ``_`` and ``-``; runs of other characters become ``-``.
    """
    out = re.sub(r"[^0-9A-Za-z._-]+", "-", name).strip("-.")
    return out[:80] or "plan"


def _check_name(pc: ProblemCollector, src: str, name: Any) -> None:
    """A scenario name names the output folder: no path, no parent folder, no control
    characters."""
    if not isinstance(name, str):
        return
    bad = ""
    if not name.strip():
        bad = "it is empty"
    elif "/" in name or "\\" in name or name.startswith("~") or re.match(r"^[A-Za-z]:", name):
        bad = "it holds a path separator or a drive"
    elif name.strip() in (".", "..") or ".." in name:
        bad = "it holds '..'"
    elif _CONTROL.search(name):
        bad = "it holds control characters"
    elif len(name) > 120:
        bad = "it is longer than 120 characters"
    if bad:
        pc.add(src, f"the scenario name chooses the output folder out/<name>, but {bad}; "
               f"found {name!r}. Use letters, digits, spaces, '.', '_' or '-'",
               where="top level", column="name")


# (low, high, inclusive low) of every number a scenario may hold; values outside are refused.
_RANGES: dict[str, tuple[float, float, bool]] = {
    "weight": (0.0, 1e6, True), "target": (0.0, 1.0, False),
    "cover_minutes": (0.0, 60.0 * 24 * 30, False), "k": (0, 100_000, True),
    "kits": (0, 100_000, True), "budget": (0.0, 1e15, True),
    "people_per_day": (1.0, 1e7, True), "days": (0.0, 3650.0, False),
    "time_limit": (0.0, 86_400.0, False), "snap_m": (0.0, 100.0, False),
    "landing_m": (0.0, 5000.0, True),
    "walk_kmh": (0.0, 20.0, False), "detour": (1.0, 5.0, True), "max_km": (0.0, 500.0, False),
    "speed_kmh": (0.0, 2000.0, False), "upstream_kmh": (0.0, 2000.0, False),
    "rupiah_per_km": (0.0, 1e12, True), "transfer_minutes": (0.0, 60.0 * 24 * 30, True),
    "speed_factor": (0.0, 10.0, False), "prefix_digits": (1, 64, True),
    "max_distance_km": (0.0, 500.0, True), "max_per_session": (1, 1e9, True),
    "cell_m": (1.0, 100_000.0, True),
    "teams": (1, 10_000, True),
    "max_days": (1, 366, True), "serve_minutes": (0.0, 24 * 60.0, True),
    "setup_minutes": (0.0, 24 * 60.0, True), "night_rupiah": (0.0, 1e15, True),
    "day_rupiah": (0.0, 1e15, True), "trip_budget": (0.0, 1e15, False),
    "total_budget": (0.0, 1e15, False),
}


def in_range(pc: ProblemCollector, src: str, where: str, key: str, v: Any,
              rule: str | None = None) -> bool:
    """Report a number that is not finite or outside its allowed range (with both).

    Parameters
    ----------
    pc : ProblemCollector
        Where the problem goes.
    src : str
        The scenario file.
    where : str
        The section (``[trips]``).
    key : str
        The key.
    v : object
        The value (not a number: nothing is reported here, the type check says it).
    rule : str, optional
        The range's name when it is not ``key``.

    Returns
    -------
    bool
        True when ``v`` is a finite number in range.
    """
    lo, hi, incl = _RANGES[rule or key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    if not math.isfinite(v):
        pc.add(src, f"expected a finite number, found {v!r}", where=where, column=key)
        return False
    if v < lo or (v == lo and not incl) or v > hi:
        low = f"{'>=' if incl else '>'} {lo:g}"
        pc.add(src, f"expected a number {low} and <= {hi:g}, found {v!r}", where=where,
               column=key)
        return False
    return True

SPEC = "scenario"
"""The source named by a spec's own checks (a spec may be made without a file);
:meth:`Scenario.replace` names the scenario's file instead."""


def _check_numbers(obj: Any, where: str, rules: dict[str, str | None], *,
                   integers: tuple[str, ...] = (), unset: tuple[Any, ...] = (None,)
                   ) -> list[Problem]:
    """The problems of a spec's numeric fields: each is a number in the range of its rule
    (``_RANGES``), a whole number when listed in ``integers``, or one of the ``unset``
    values (None; infinity for budgets)."""
    pc = ProblemCollector()
    for key, rule in rules.items():
        v = getattr(obj, key)
        if any(v is u or (isinstance(u, float) and v == u) for u in unset):
            continue
        if isinstance(v, bool) or not isinstance(v, int | float):
            pc.add(SPEC, f"expected a number, found {v!r}", where=where, column=key)
        elif in_range(pc, SPEC, where, key, v, rule) and key in integers and v != int(v):
            pc.add(SPEC, f"expected a whole number, found {v!r}", where=where, column=key)
    return pc.problems


def _refuse(problems: list[Problem]) -> None:
    """Raise the problems a spec found in itself, if any (every one at once)."""
    if problems:
        raise InputError(problems)


def _one_of(value: Any, allowed: tuple[str, ...], where: str, key: str) -> list[Problem]:
    """A problem when ``value`` is not one of ``allowed`` (worded as the parser words it)."""
    if value in allowed:
        return []
    named = [a for a in allowed if a]
    shown = (f"'{named[0]}' or '{named[1]}'" if len(named) == 2
             else f"one of {', '.join(named)}")
    return [Problem(SPEC, f"expected {shown}, found {value!r}", where, key)]


T = TypeVar("T")


def _make(pc: ProblemCollector, src: str, cls: Callable[..., T], default: Callable[[], T],
          **values: Any) -> T:
    """A spec made from parsed values; what it refuses in itself is collected with the
    parser's problems (the same problem found twice is kept once) and the default is used
    until every problem is raised together."""
    try:
        return cls(**values)
    except InputError as exc:
        for p in exc.problems:
            pc.add(src if p.source == SPEC else p.source, p.message, p.where, p.column)
        return default()


_TOP_KEYS = {
    "name": str, "title": str, "data_date": str, "illustrative": bool, "illustrative_note": str,
    "crs": str, "villages": dict, "admin": list, "estimates": dict,
    "indicators": list, "signal": dict, "service_points": dict, "network": dict,
    "access": dict, "priority": dict, "sites": dict, "progress": dict, "trips": dict,
    "targets": list, "terrain": dict,
}
_TERRAIN_KEYS: dict[str, Any] = {"landcover": str, "speeds": dict, "elevation": str,
                                 "barriers": str, "cell_m": (int, float), "neighbours": int}
_TARGET_KEYS = {"indicator": str, "share": (int, float), "level": str, "areas": list}
_TRIPS_KEYS: dict[str, Any] = {
    "teams": int, "max_days": int, "workday": list, "after_dark": list, "travel_until": str,
    "serve_minutes": (int, float), "setup_minutes": (int, float),
    "people_per_day": (int, float), "night_rupiah": (int, float), "day_rupiah": (int, float),
    "stop_rupiah": (int, float), "kit_rupiah": (int, float),
    "trip_budget": (int, float), "total_budget": (int, float), "kits": int, "start": str,
    "minimise": str}
_PROGRESS_KEYS: dict[str, Any] = {
    "logs": list, "baseline": str, "as_of": str, "max_distance_km": (int, float),
    "id": str, "date": str, "team": str, "village": str, "kecamatan": str, "review": str,
    "lat": str, "lon": str,
    "geopoint": str, "sheet": str, "served": dict, "date_format": str, "timezone": str,
    "max_per_session": (int, float)}
PROGRESS_COLUMNS = ("id", "date", "team", "village", "kecamatan", "review", "lat", "lon",
                    "geopoint", "sheet")
"""The column roles of ``[progress]`` (see :class:`ProgressSpec`)."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SITES_KEYS: dict[str, Any] = {
               "model": str, "cover_minutes": (int, float), "indicator": str, "k": int,
               "target": (int, float), "minimise": str, "kits": int, "budget": (int, float),
               "people_per_day": (int, float), "days": (int, float),
               "time_limit": (int, float), "candidates": str, "candidate_code": str,
               "candidate_name": str, "offices_count": bool}
_LAYER_KEYS = {"path": str, "code": str, "name": str, "sheet": str, "layer": str}
_ADMIN_KEYS = {"level": str, "path": str, "code": str, "name": str, "prefix_digits": int,
               "layer": str}
_IND_KEYS = {"key": str, "label": str, "eligible": str, "served": str, "served_suffix": str,
             "weight": (int, float), "target": (int, float)}
_SIGNAL_KEYS = {"path": str, "kind": str, "layer": str}
_NETWORK_KEYS = {"path": str, "paths": list, "class_column": str, "links": list, "osm": list,
                 "places": list, "speed_kmh": dict, "classes": dict, "rupiah_per_km": dict,
                 "season": str, "seasons": dict, "transfer_minutes": dict, "snap_m": (int, float),
                 "landing_m": (int, float)}
_CLASS_KEYS = {"mode": str, "speed_kmh": (int, float), "upstream_kmh": (int, float),
               "rupiah_per_km": (int, float)}
_SEASON_KEYS = {"speed_factor": (int, float), "closed": bool}
_PLACES_KEYS = {"path": str, "code": str, "name": str, "prefix": str, "layer": str,
                "landing": bool}
_ACCESS_KEYS = {"walk_kmh": (int, float), "detour": (int, float), "max_km": (int, float)}
_PRIORITY_KEYS = {"weights": dict}


def _type_name(t: Any) -> str:
    if isinstance(t, tuple):
        return "a number"
    names = {str: "text", bool: "true/false", dict: "a table", list: "a list", int: "an integer"}
    return str(names.get(t, t.__name__))


def _check_keys(pc: ProblemCollector, src: str, section: str, data: dict[str, Any],
                schema: dict[str, Any], required: tuple[str, ...] = ()) -> None:
    for key, value in data.items():
        if key not in schema:
            pc.add(src, f"unknown key '{key}' in [{section}]; allowed: {', '.join(sorted(schema))}",
                   where=f"[{section}]", column=key)
            continue
        expected = schema[key]
        is_bool = isinstance(value, bool)
        ok = isinstance(value, expected) and not (is_bool and expected is not bool)
        if not ok:
            pc.add(src, f"expected {_type_name(expected)}, found {value!r}", where=f"[{section}]",
                   column=key)
        elif isinstance(value, str) and _CONTROL.search(value.replace("\n", "")):
            pc.add(src, f"control characters in the text {value!r}; expected plain text",
                   where=f"[{section}]", column=key)
    for key in required:
        if key not in data:
            pc.add(src, f"missing required key '{key}'", where=f"[{section}]", column=key)


def _tables(pc: ProblemCollector, src: str, value: Any, label: str
            ) -> list[tuple[str, dict[str, Any]]]:
    """The tables of a TOML array of tables, each with its section name for messages;
    an entry that is not a table is reported and skipped."""
    out = []
    for i, item in enumerate(value if isinstance(value, list) else []):
        sec = f"{label} #{i + 1}"
        if isinstance(item, dict):
            out.append((sec, item))
        else:
            pc.add(src, "expected a table", where=sec)
    return out


def _resolve(pc: ProblemCollector, src: str, base: Path, section: str, value: Any) -> Path:
    raw = Path(str(value))
    try:
        path = (base / raw).resolve() if not raw.is_absolute() else raw
    except (OSError, RuntimeError):  # a symlink loop
        pc.add(src, f"the path {value!r} is a loop of symbolic links", where=f"[{section}]",
               column="path")
        return base / raw
    if path.is_dir():
        pc.add(src, f"{path} is a folder; expected a file (paths are relative to the "
               "scenario file)", where=f"[{section}]", column="path")
    elif not path.is_file():
        pc.add(src, f"file not found: {path} (paths are relative to the scenario file)",
               where=f"[{section}]", column="path")
    return path


def _layer(pc: ProblemCollector, src: str, base: Path, section: str, data: Any,
           defaults: dict[str, str] | None = None) -> Layer | None:
    if not isinstance(data, dict):
        pc.add(src, f"missing section [{section}] (a table with at least 'path')", where=section)
        return None
    _check_keys(pc, src, section, data, _LAYER_KEYS, ("path",))
    if not isinstance(data.get("path"), str):
        return None
    d = {**(defaults or {}), **{k: v for k, v in data.items() if k in _LAYER_KEYS and k != "path"}}
    return Layer(path=_resolve(pc, src, base, section, data["path"]), **d)


DEFAULT_INDICATORS: tuple[Indicator, ...] = (
    Indicator("ktp", "e-KTP recording", "ktp_eligible", "ktp_recorded", "recorded", 1.0, 0.994),
    Indicator("kia", "Child ID card (KIA)", "kia_eligible", "kia_served", "served", 0.5),
    Indicator("akta", "Birth certificate", "akta_eligible", "akta_served", "served", 0.5),
)


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path, optional
        The scenario file. Without it, the bundled Kaltara scenario is used.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Listing every problem in the file at once (unknown keys, wrong types, missing files).
    """
    src_path = Path(path) if path is not None else default_scenario_path()
    pc = ProblemCollector()
    data = _read_toml(src_path, pc, seen=())
    return _build(data, src_path, pc)


def _build(data: dict[str, Any], src_path: Path, pc: ProblemCollector) -> Scenario:
    """Validate a scenario's data (as read from TOML) and build it; paths are relative to
    ``src_path``'s folder. Each section is checked by a step of its own; every problem of
    every section is collected before one error is raised."""
    src = str(src_path)
    base = src_path.resolve().parent
    _check_keys(pc, src, "top level", data, _TOP_KEYS,
                ("villages", "service_points", "network"))
    _check_name(pc, src, data.get("name", src_path.stem))

    villages = _layer(pc, src, base, "villages", data.get("villages"))
    service = _layer(pc, src, base, "service_points", data.get("service_points"),
                     {"code": "id", "name": "nama"})
    estimates = (_layer(pc, src, base, "estimates", data["estimates"])
                 if "estimates" in data else None)
    admin = _admin_levels(pc, src, base, data.get("admin"))
    indicators = _indicators(pc, src, data.get("indicators"))
    signal, signal_kind, signal_layer = _signal(pc, src, base, data.get("signal"))
    network = _network(pc, src, base, data.get("network"))
    access = _access(pc, src, data.get("access"))
    weights = _weights(pc, src, data.get("priority"))
    sites = _sites(pc, src, base, data.get("sites"), indicators)
    progress = _progress(pc, src, base, data.get("progress"), indicators,
                         str(data.get("data_date", "")))
    trips = _trips(pc, src, data.get("trips"))
    terrain = _terrain(pc, src, base, data.get("terrain"))
    targets = _targets(pc, src, data.get("targets"))
    _check_targets(pc, src, [(t.get("indicator"), t.get("level", ""))
                             for _, t in _tables(ProblemCollector(), src, data.get("targets"),
                                                 "targets")],
                   [i.key for i in indicators], [a.level for a in admin])

    pc.raise_if_any()
    if villages is None or service is None or network is None:  # pragma: no cover
        raise RuntimeError("unreachable: problems were raised above")
    return Scenario(
        name=str(data.get("name", src_path.stem)), source=src_path.resolve(), villages=villages,
        service_points=service, network=network, indicators=tuple(indicators),
        admin=tuple(admin), estimates=estimates, signal=signal, signal_kind=signal_kind,
        signal_layer=signal_layer,
        title=str(data.get("title", "")), data_date=str(data.get("data_date", "")),
        illustrative=bool(data.get("illustrative", False)),
        illustrative_note=str(data.get("illustrative_note", "")), crs=str(data.get("crs", "auto")),
        access=access, weights=weights, sites=sites, progress=progress, trips=trips,
        targets=tuple(targets), terrain=terrain,
    )


def _terrain(pc: ProblemCollector, src: str, base: Path, raw: Any) -> TerrainSpec:
    """The ``[terrain]`` table: rasters and the land-cover speed table."""
    if not isinstance(raw, dict):
        return TerrainSpec()
    _check_keys(pc, src, "terrain", raw, _TERRAIN_KEYS, ("landcover", "speeds"))
    paths = {k: _resolve(pc, src, base, "terrain", raw[k]) if isinstance(raw.get(k), str)
             else None for k in ("landcover", "elevation", "barriers")}
    speeds: dict[int, float] = {}
    table: dict[str, Any] = raw["speeds"] if isinstance(raw.get("speeds"), dict) else {}
    for key, value in table.items():
        if not re.fullmatch(r"\d{1,9}", str(key).strip()):
            pc.add(src, f"expected a land-cover class (a whole number), found {key!r}",
                   where="[terrain.speeds]", column=str(key))
        elif (isinstance(value, bool) or not isinstance(value, int | float)
              or not 0 <= value <= 200):
            pc.add(src, f"expected a walking speed from 0 to 200 km/h, found {value!r}",
                   where="[terrain.speeds]", column=str(key))
        else:
            speeds[int(str(key).strip())] = float(value)
    cell = raw.get("cell_m")
    if cell is not None and not in_range(pc, src, "[terrain]", "cell_m", cell):
        cell = None
    neighbours = raw.get("neighbours", 8)
    if neighbours not in (8, 16):
        pc.add(src, f"expected 8 or 16, found {neighbours!r}", where="[terrain]",
               column="neighbours")
        neighbours = 8
    return TerrainSpec(paths["landcover"], speeds, paths["elevation"], paths["barriers"],
                       float(cell) if cell is not None else None, int(neighbours))


def _admin_levels(pc: ProblemCollector, src: str, base: Path, raw: Any) -> list[AdminLevel]:
    """The ``[[admin]]`` tables: area layers whose codes prefix the village codes."""
    admin: list[AdminLevel] = []
    for sec, a in _tables(pc, src, raw, "admin"):
        _check_keys(pc, src, sec, a, _ADMIN_KEYS, ("level", "path", "prefix_digits"))
        if isinstance(a.get("path"), str) and in_range(pc, src, f"[{sec}]", "prefix_digits",
                                                        a.get("prefix_digits")):
            lay = Layer(_resolve(pc, src, base, sec, a["path"]), a.get("code", "kode"),
                        a.get("name", "nama"),
                        layer=a["layer"] if isinstance(a.get("layer"), str) else None)
            admin.append(AdminLevel(str(a.get("level")), lay, a["prefix_digits"]))
    return admin


def _indicators(pc: ProblemCollector, src: str, raw: Any) -> list[Indicator]:
    """The ``[[indicators]]`` tables (the registry's defaults when the key is left out)."""
    if raw is None:
        return list(DEFAULT_INDICATORS)
    indicators: list[Indicator] = []
    if not isinstance(raw, list):
        return indicators
    for sec, ind in _tables(pc, src, raw, "indicators"):
        _check_keys(pc, src, sec, ind, _IND_KEYS, ("key", "eligible", "served"))
        for k in ("weight", "target"):
            if k in ind:
                in_range(pc, src, f"[{sec}]", k, ind[k])
        if isinstance(ind.get("key"), str) and not _KEY.match(ind["key"]):
            pc.add(src, f"expected a short key of letters, digits and '_' starting with a "
                   f"letter (it names output columns), found {ind['key']!r}",
                   where=f"[{sec}]", column="key")
        if all(isinstance(ind.get(k), str) for k in ("key", "eligible", "served")):
            indicators.append(Indicator(
                key=ind["key"], label=str(ind.get("label", ind["key"])),
                eligible=ind["eligible"], served=ind["served"],
                served_suffix=str(ind.get("served_suffix", "served")),
                weight=float(ind.get("weight", 1.0)),
                target=float(ind["target"]) if "target" in ind else None))
    keys = [i.key for i in indicators]
    for k in sorted({k for k in keys if keys.count(k) > 1}):
        pc.add(src, f"indicator key '{k}' is used more than once", where="indicators")
    if not raw:
        pc.add(src, "no indicators: give at least one [[indicators]] table (key, eligible, "
               "served), or leave the key out for the registry defaults",
               where="indicators")
    return indicators


def _signal(pc: ProblemCollector, src: str, base: Path, raw: Any
            ) -> tuple[Path | None, SignalKind, str | None]:
    """The ``[signal]`` table: the layer's path, its kind and its layer name."""
    if not isinstance(raw, dict):
        return None, "blank_spot", None
    _check_keys(pc, src, "signal", raw, _SIGNAL_KEYS, ("path",))
    path = _resolve(pc, src, base, "signal", raw["path"]) if isinstance(raw.get("path"), str) \
        else None
    kind = str(raw.get("kind", "blank_spot"))
    if kind not in ("blank_spot", "coverage"):
        pc.add(src, f"expected 'blank_spot' or 'coverage', found {kind!r}",
               where="[signal]", column="kind")
    checked: SignalKind = "coverage" if kind == "coverage" else "blank_spot"  # else reported
    return path, checked, raw["layer"] if isinstance(raw.get("layer"), str) else None


def _access(pc: ProblemCollector, src: str, raw: Any) -> Access:
    """The ``[access]`` table: walking from a village to the network."""
    if not isinstance(raw, dict):
        return Access()
    _check_keys(pc, src, "access", raw, _ACCESS_KEYS)
    return _make(pc, src, Access, Access, **{k: float(v) for k, v in raw.items()
                     if k in _ACCESS_KEYS and in_range(pc, src, "[access]", k, v)})


def _weights(pc: ProblemCollector, src: str, raw: Any) -> dict[str, float]:
    """The ``[priority.weights]``: gap, remoteness and blank spot (defaults 0.6/0.25/0.15)."""
    if not isinstance(raw, dict):
        return dict(DEFAULT_WEIGHTS)
    _check_keys(pc, src, "priority", raw, _PRIORITY_KEYS)
    given = raw.get("weights") or {}
    weights = {**DEFAULT_WEIGHTS, **(given if isinstance(given, dict) else {})}
    if _check_weights(pc, src, weights):
        return {k: float(v) for k, v in weights.items()}
    return dict(DEFAULT_WEIGHTS)  # not used: the problems are raised before the scenario


def _check_weights(pc: ProblemCollector, src: str, weights: Any) -> bool:
    """The rule for priority weights, for the parser and :class:`Scenario` alike: a table
    of the three weights, each a number in range, at least one above 0. True when they
    pass."""
    before = len(pc.problems)
    where = "[priority.weights]"
    if not isinstance(weights, dict):
        pc.add(src, f"expected a table of weights, found {weights!r}", where=where)
        return False
    for k, v in weights.items():
        if k not in DEFAULT_WEIGHTS:
            pc.add(src, f"unknown weight '{k}'; allowed: {', '.join(DEFAULT_WEIGHTS)}",
                   where=where, column=k)
        elif isinstance(v, bool) or not isinstance(v, int | float):
            pc.add(src, f"expected a number >= 0, found {v!r}", where=where, column=k)
        else:
            in_range(pc, src, where, k, v, "weight")
    for k in DEFAULT_WEIGHTS:
        if k not in weights:
            pc.add(src, f"missing weight '{k}' (give all of {', '.join(DEFAULT_WEIGHTS)})",
                   where=where, column=k)
    if not any(isinstance(w, int | float) and not isinstance(w, bool) and w > 0
               for w in weights.values()):
        pc.add(src, "every priority weight is 0: no village could rank above another; "
               "give at least one weight > 0", where=where)
    return len(pc.problems) == before


def _check_season(pc: ProblemCollector, src: str, season: str,
                  seasons: dict[str, Any]) -> None:
    """The rule for the active season: "" or one defined in ``[network.seasons]``."""
    if season and season not in seasons:
        pc.add(src, f"season {season!r} is not defined; defined: "
               f"{', '.join(seasons) or 'none'} (add [network.seasons.{season}.<class>])",
               where="[network]", column="season")


def _check_indicator(pc: ProblemCollector, src: str, indicator: str, keys: list[str]) -> None:
    """The rule for the site choice's indicator: one of the scenario's."""
    if indicator not in keys:
        pc.add(src, f"unknown indicator {indicator!r}; expected one of {', '.join(keys)}",
               where="[sites]", column="indicator")


def _check_targets(pc: ProblemCollector, src: str, targets: list[tuple[Any, Any]],
                   keys: list[str], levels: list[str]) -> None:
    """The rule for ``[[targets]]``, given as (indicator, level) in table order: a known
    indicator, a level among ``[[admin]]``'s."""
    for n, (indicator, level) in enumerate(targets, 1):
        where = f"[targets #{n}]"
        if isinstance(indicator, str) and indicator not in keys:
            pc.add(src, f"unknown indicator {indicator!r}; expected one of "
                   f"{', '.join(keys)}", where=where, column="indicator")
        if isinstance(level, str) and level and level not in levels:
            pc.add(src, f"unknown level {level!r}; expected one of the [[admin]] levels "
                   f"({', '.join(levels) or 'none given'}), or leave it out for the study "
                   "area", where=where, column="level")


def _targets(pc: ProblemCollector, src: str, raw: Any) -> list[TargetSpec]:
    """The ``[[targets]]`` tables (see :class:`TargetSpec`)."""
    out: list[TargetSpec] = []
    for sec, t in _tables(pc, src, raw, "targets"):
        _check_keys(pc, src, sec, t, _TARGET_KEYS, ("indicator", "share"))
        areas = t.get("areas", [])
        if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
            pc.add(src, f"expected a list of area names or codes, found {areas!r}",
                   where=f"[{sec}]", column="areas")
            continue
        if isinstance(t.get("indicator"), str) and in_range(pc, src, f"[{sec}]", "share",
                                                              t.get("share"), "target"):
            made = _make(pc, src, TargetSpec, lambda: None, indicator=t["indicator"],
                         share=float(t["share"]), level=str(t.get("level", "")),
                         areas=tuple(areas))
            if made is not None:
                out.append(made)
    return out


def _progress(pc: ProblemCollector, src: str, base: Path, raw: Any,
              indicators: list[Indicator], data_date: str) -> ProgressSpec:
    """The ``[progress]`` table: field service logs (see :class:`ProgressSpec`)."""
    start = data_date[:10]
    default_baseline = start if is_date(start) else ""
    if not isinstance(raw, dict):
        return ProgressSpec(baseline=default_baseline)
    _check_keys(pc, src, "progress", raw, _PROGRESS_KEYS)
    logs = []
    for i, path in enumerate(raw.get("logs", []) if isinstance(raw.get("logs"), list) else []):
        if isinstance(path, str):
            logs.append(_resolve(pc, src, base, "progress", path))
        else:
            pc.add(src, f"expected the path of a log file, found {path!r}",
                   where="[progress]", column=f"logs[{i}]")
    for key in ("baseline", "as_of"):
        value = raw.get(key, "")
        if isinstance(value, str) and value and not is_date(value):
            pc.add(src, f"expected a date YYYY-MM-DD, found {value!r}", where="[progress]",
                   column=key)
    _progress_texts(pc, src, raw)
    date_format = raw.get("date_format", "")
    zone = raw.get("timezone", "")
    distance = raw.get("max_distance_km", 1.0)
    if not in_range(pc, src, "[progress]", "max_distance_km", distance):
        distance = 1.0
    most = raw.get("max_per_session")
    if most is not None and not in_range(pc, src, "[progress]", "max_per_session", most):
        most = None
    served = raw.get("served", {}) if isinstance(raw.get("served"), dict) else {}
    keys = [i.key for i in indicators]
    for key, column in served.items():
        if key not in keys:
            pc.add(src, f"unknown indicator '{key}'; expected one of {', '.join(keys)}",
                   where="[progress.served]", column=key)
        elif not isinstance(column, str) or not column.strip():
            pc.add(src, f"expected the name of a log column, found {column!r}",
                   where="[progress.served]", column=key)
    return ProgressSpec(
        logs=tuple(logs),
        baseline=str(raw.get("baseline", default_baseline) or ""),
        as_of=str(raw.get("as_of", "") or ""), max_distance_km=float(distance),
        columns={k: str(raw[k]) for k in PROGRESS_COLUMNS if isinstance(raw.get(k), str)},
        served={k: str(v) for k, v in served.items() if isinstance(v, str)},
        date_format=date_format if isinstance(date_format, str) else "",
        timezone=zone if isinstance(zone, str) and _time_zone_ok(zone) else "",
        max_per_session=float(most) if most is not None else None)


def _trip_clocks(pc: ProblemCollector, src: str, raw: dict[str, Any]) -> dict[str, Any]:
    """``workday`` and ``travel_until`` of ``[trips]`` as minutes after midnight."""

    where = "[trips]"
    raw_day = raw.get("workday", ["07:00", "17:00"])
    texts: dict[str, Any] = {}
    if isinstance(raw.get("travel_until", "21:00"), str):  # another type: reported already
        texts["travel_until"] = raw.get("travel_until", "21:00")
    if isinstance(raw_day, list) and len(raw_day) == 2:
        texts["workday start"], texts["workday end"] = raw_day
    elif isinstance(raw_day, list):  # another type: reported already
        pc.add(src, f"expected the start and end of the workday, e.g. [\"07:00\", \"17:00\"], "
               f"found {raw_day!r}", where=where, column="workday")
    clocks: dict[str, int] = {}
    for key, text in texts.items():
        try:
            if not isinstance(text, str):
                raise ValueError(f"{text!r} is not a time of day HH:MM")
            clocks[key] = clock_minutes(text)
        except ValueError as exc:
            pc.add(src, f"expected a time of day HH:MM ({exc})", where=where,
                   column=key.split()[0])
    out: dict[str, Any] = {}
    start, end = clocks.get("workday start"), clocks.get("workday end")
    if start is not None and end is not None:
        if start >= end:
            pc.add(src, "the workday must end after it starts, e.g. [\"07:00\", \"17:00\"]",
                   where=where, column="workday")
        out["workday"] = (start, end)
        if "travel_until" in clocks:
            out["travel_until"] = max(clocks["travel_until"], end)
    return out


def _trips(pc: ProblemCollector, src: str, raw: Any) -> TripSpec:
    """The ``[trips]`` table (see :class:`TripSpec`)."""
    if not isinstance(raw, dict):
        return TripSpec()
    where = "[trips]"
    _check_keys(pc, src, "trips", raw, _TRIPS_KEYS)
    out: dict[str, Any] = {}
    for key in ("teams", "max_days", "kits"):
        if key in raw and in_range(pc, src, where, key, raw[key]):
            out[key] = int(raw[key])
    for key in ("serve_minutes", "setup_minutes", "people_per_day", "night_rupiah",
                "day_rupiah", "stop_rupiah", "kit_rupiah", "trip_budget", "total_budget"):
        rule = "night_rupiah" if key in ("stop_rupiah", "kit_rupiah") else key
        if key in raw and (v := _positive(pc, src, where, key, raw[key], rule)) is not None:
            out[key] = v
    out.update(_trip_clocks(pc, src, raw))
    modes = raw.get("after_dark", ["road"])
    if isinstance(modes, list) and all(isinstance(m, str) for m in modes):
        out["after_dark"] = tuple(m.strip() for m in modes)
    elif "after_dark" in raw:
        pc.add(src, f"expected a list of modes, found {modes!r}", where=where,
               column="after_dark")
    start = raw.get("start", "")
    if isinstance(start, str) and start:
        if is_date(start):
            out["start"] = start
        else:
            pc.add(src, f"expected a date YYYY-MM-DD, found {start!r}", where=where,
                   column="start")
    minimise = raw.get("minimise", "cost")
    if minimise not in ("cost", "days"):
        pc.add(src, f"expected 'cost' or 'days', found {minimise!r}", where=where,
               column="minimise")
    else:
        out["minimise"] = minimise
    return _make(pc, src, TripSpec, TripSpec, **out)


def _progress_texts(pc: ProblemCollector, src: str, raw: dict[str, Any]) -> None:
    """``[progress]`` roles that cannot be switched off, the date format and the time
    zone: each problem named."""
    for key in ("date", "lat", "lon", "geopoint", "sheet"):
        if raw.get(key) == "":
            pc.add(src, "cannot be switched off (\"\"): name the column, or leave the key out "
                   "to let the planner find it (only id, team, village, kecamatan and review "
                   "may be \"\")",
                   where="[progress]", column=key)
    date_format = raw.get("date_format", "")
    if isinstance(date_format, str) and date_format and not _date_format_ok(date_format):
        pc.add(src, f"expected strftime codes for a date (e.g. '%d/%m/%Y'), found "
               f"{date_format!r}", where="[progress]", column="date_format")
    zone = raw.get("timezone", "")
    if isinstance(zone, str) and zone and not _time_zone_ok(zone):
        pc.add(src, f"expected a time zone (an IANA name such as 'Asia/Makassar', or an "
               f"offset such as '+08:00'), found {zone!r}", where="[progress]",
               column="timezone")


def _time_zone_ok(name: str) -> bool:
    """An IANA time zone name the machine knows, or an offset ``+08:00`` / ``UTC+8``."""
    from zoneinfo import ZoneInfo

    if re.fullmatch(r"(?:UTC)?[+-]\d{1,2}(?::?\d{2})?", name.strip()):
        return True
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return False
    return True


def _date_format_ok(fmt: str) -> bool:
    """A strftime format that writes a whole date (day; month as a number or a name; year)
    and reads it back (``%b %d, %Y %I:%M:%S %p`` as Briefcase writes, ``%d-%b-%y``...)."""
    from datetime import datetime

    month = any(code in fmt for code in ("%m", "%b", "%B"))
    if "%d" not in fmt or not month or not ("%Y" in fmt or "%y" in fmt):
        return False
    sample = datetime(2024, 7, 31, 9, 5)
    try:
        return datetime.strptime(sample.strftime(fmt), fmt).date() == sample.date()
    except ValueError:
        return False


def is_date(text: str) -> bool:
    """Whether ``text`` is a real calendar date written ``YYYY-MM-DD``, in the years
    1900-2999 (a plan's dates; a year typo such as 9999 or 0202 is refused here, before any
    date arithmetic could overflow).

    Parameters
    ----------
    text : str
        The text.

    Returns
    -------
    bool
        True for a date.
    """
    if not _DATE.match(text):
        return False
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return False
    return 1900 <= day.year <= 2999


def _sites(pc: ProblemCollector, src: str, base: Path, raw: Any,
           indicators: list[Indicator]) -> SitesSpec:
    """The ``[sites]`` table: the site-choice model and its limits."""
    if not isinstance(raw, dict):
        return SitesSpec()
    _check_keys(pc, src, "sites", raw, _SITES_KEYS)
    vals = {k: v for k, v in raw.items() if k in _SITES_KEYS and isinstance(v, _SITES_KEYS[k])
            and (not isinstance(v, bool) or _SITES_KEYS[k] is bool)}
    if vals.get("model", "") not in ("", *SITE_MODELS):
        pc.add(src, f"expected one of {', '.join(SITE_MODELS)}, found {vals['model']!r}",
               where="[sites]", column="model")
    if vals.get("minimise", "sites") not in ("sites", "cost"):
        pc.add(src, f"expected 'sites' or 'cost', found {vals['minimise']!r}",
               where="[sites]", column="minimise")
    for key in ("target", "cover_minutes", "k", "people_per_day", "days", "time_limit",
                "kits", "budget"):
        if key in vals and not in_range(pc, src, "[sites]", key, vals[key]):
            vals.pop(key)
    _check_indicator(pc, src, str(vals.get("indicator", "ktp")), [i.key for i in indicators])
    floats = {"cover_minutes", "target", "budget", "people_per_day", "days", "time_limit"}
    cand = None
    if isinstance(vals.get("candidates"), str):
        cand = Layer(_resolve(pc, src, base, "sites", vals["candidates"]),
                     str(vals.get("candidate_code", "id")),
                     str(vals.get("candidate_name", "nama")))
    for key in ("candidates", "candidate_code", "candidate_name"):
        vals.pop(key, None)
    values: dict[str, Any] = {k: float(v) if k in floats else v for k, v in vals.items()}
    return _make(pc, src, SitesSpec, SitesSpec, **values, candidates=cand)


def _positive(pc: ProblemCollector, src: str, where: str, key: str, v: Any,
              rule: str) -> float | None:
    """``v`` as a float when it is a finite number in the range of ``rule``, else None
    (reported)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        pc.add(src, f"expected a number, found {v!r}", where=where, column=key)
        return None
    return float(v) if in_range(pc, src, where, key, v, rule) else None


def _network(pc: ProblemCollector, src: str, base: Path, net: Any) -> NetworkSpec | None:
    if not isinstance(net, dict):
        return None
    _check_keys(pc, src, "network", net, _NETWORK_KEYS)
    paths = [net["path"]] if isinstance(net.get("path"), str) else []
    paths += [p for p in net.get("paths", []) if isinstance(p, str)]
    links = [p for p in net.get("links", []) if isinstance(p, str)]
    osm = [p for p in net.get("osm", []) if isinstance(p, str)]
    if not (paths or links or osm):
        pc.add(src, "no network source: give 'path' or 'paths' (line layers), 'osm' (.osm.pbf "
               "extracts) or 'links' (link tables)", where="[network]")
    lines = tuple(_resolve(pc, src, base, "network", p) for p in paths)
    link_paths = tuple(_resolve(pc, src, base, "network", p) for p in links)
    osm_paths = tuple(_resolve(pc, src, base, "network", p) for p in osm)
    places: list[Places] = []
    for sec, pl in _tables(pc, src, net.get("places"), "network.places"):
        _check_keys(pc, src, sec, pl, _PLACES_KEYS, ("path", "prefix"))
        if isinstance(pl.get("path"), str) and isinstance(pl.get("prefix"), str):
            places.append(Places(Layer(_resolve(pc, src, base, sec, pl["path"]),
                                       str(pl.get("code", "kode")), str(pl.get("name", "nama")),
                                       layer=pl.get("layer") if isinstance(pl.get("layer"), str)
                                       else None),
                                 pl["prefix"], landing=pl.get("landing") is True))
    speeds = {m: v for m, raw in (net.get("speed_kmh") or {}).items()
              if (v := _positive(pc, src, "[network.speed_kmh]", m, raw, "speed_kmh"))
              is not None}
    costs = {m: v for m, raw in (net.get("rupiah_per_km") or {}).items()
             if (v := _positive(pc, src, "[network.rupiah_per_km]", m, raw, "rupiah_per_km"))
             is not None}
    classes: dict[str, ClassSpec] = {}
    for name, c in (net.get("classes") or {}).items():
        sec = f"network.classes.{name}"
        if not isinstance(c, dict):
            pc.add(src, "expected a table", where=f"[{sec}]")
            continue
        _check_keys(pc, src, sec, c, _CLASS_KEYS)
        vals = {k: _positive(pc, src, f"[{sec}]", k, c[k], k)
                for k in ("speed_kmh", "upstream_kmh", "rupiah_per_km") if k in c}
        classes[name] = _make(pc, src, ClassSpec, partial(ClassSpec, str(name)),
                              mode=str(c.get("mode", name)), **vals)
    seasons: dict[str, dict[str, SeasonRule]] = {}
    for sname, rules in (net.get("seasons") or {}).items():
        seasons[sname] = {}
        for cls, r in (rules or {}).items():
            sec = f"network.seasons.{sname}.{cls}"
            if not isinstance(r, dict):
                pc.add(src, "expected a table", where=f"[{sec}]")
                continue
            _check_keys(pc, src, sec, r, _SEASON_KEYS)
            f = _positive(pc, src, f"[{sec}]", "speed_factor", r.get("speed_factor", 1.0),
                          "speed_factor")
            seasons[sname][cls] = _make(pc, src, SeasonRule, SeasonRule, speed_factor=f or 1.0,
                                        closed=bool(r.get("closed", False)))
    season = str(net.get("season", ""))
    _check_season(pc, src, season, seasons)
    transfers = {k: v for k, raw in (net.get("transfer_minutes") or {}).items()
                 if (v := _positive(pc, src, "[network.transfer_minutes]", k, raw,
                                    "transfer_minutes")) is not None}
    for k in transfers:
        if k.count(">") != 1:
            pc.add(src, f"expected 'from>to' (modes or *), found {k!r}",
                   where="[network.transfer_minutes]", column=k)
    snap = _positive(pc, src, "[network]", "snap_m", net.get("snap_m", 1.0), "snap_m") or 1.0
    landing = _positive(pc, src, "[network]", "landing_m", net.get("landing_m", 250.0),
                        "landing_m")
    return _make(pc, src, NetworkSpec, NetworkSpec,
                 lines=lines, class_column=str(net.get("class_column", "mode")),
                 links=link_paths, osm=osm_paths, places=tuple(places), speed_kmh=speeds,
                 classes=classes, rupiah_per_km=costs, season=season, seasons=seasons,
                 transfer_minutes=transfers, snap_m=snap,
                 landing_m=landing if landing is not None else 250.0)


_PATH_KEYS = {"villages": ("path",), "estimates": ("path",), "signal": ("path",),
              "service_points": ("path",), "network": ("path", "paths", "links", "osm"),
              "sites": ("candidates",), "progress": ("logs",)}


def _absolute_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Make the file paths of a raw scenario absolute (so a scenario can extend another one
    in a different folder)."""
    def fix(v: Any) -> Any:
        if isinstance(v, str):
            return str((base / v).resolve()) if not Path(v).is_absolute() else v
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    out = dict(data)
    for section, keys in _PATH_KEYS.items():
        if isinstance(out.get(section), dict):
            out[section] = {k: fix(v) if k in keys else v for k, v in out[section].items()}
            if section == "network" and isinstance(out[section].get("places"), list):
                out[section]["places"] = [
                    {**p, "path": fix(p["path"])} if isinstance(p, dict) and "path" in p else p
                    for p in out[section]["places"]]
    if isinstance(out.get("admin"), list):
        out["admin"] = [{**a, "path": fix(a["path"])} if isinstance(a, dict) and "path" in a
                        else a for a in out["admin"]]
    return out


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge tables; any other value (lists included) in ``over`` replaces the base's."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) \
            else v
    return out


def _read_toml(path: Path, pc: ProblemCollector, seen: tuple[Path, ...]) -> dict[str, Any]:
    """Read a scenario file; ``base = "other.toml"`` makes it extend another scenario."""
    src = str(path)
    if not path.is_file():
        pc.add(src, "the scenario is a symbolic link to nowhere, or a loop of links"
               if path.is_symlink() else "scenario file not found")
        pc.raise_if_any()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        pc.add(src, f"cannot read the scenario file ({exc.strerror or exc})")
        pc.raise_if_any()
        raise  # pragma: no cover
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        pc.add(src, "the file is UTF-16 text; save the scenario as UTF-8 (e.g. in Notepad: "
               "Save as, Encoding UTF-8)")
        pc.raise_if_any()
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors) is allowed
    except UnicodeDecodeError as exc:
        pc.add(src, f"not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x}); save the "
               "scenario as UTF-8")
        pc.raise_if_any()
        raise  # pragma: no cover
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        pc.add(src, f"not valid TOML: {exc}")
        pc.raise_if_any()
        raise  # pragma: no cover
    parent = data.pop("base", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        pc.add(src, f"expected the path of another scenario, found {parent!r}", column="base")
        pc.raise_if_any()
    parent_path = (path.resolve().parent / parent).resolve()
    if parent_path in seen or parent_path == path.resolve():
        pc.add(src, f"'base' makes a loop through {parent_path}", column="base")
        pc.raise_if_any()
    base_data = _absolute_paths(_read_toml(parent_path, pc, (*seen, path.resolve())),
                                parent_path.parent)
    return _merge(base_data, data)


def default_scenario_path() -> Path:
    """The bundled Kaltara scenario.

    ``scenarios/kaltara.toml`` in the working directory, else beside the package (editable
    install or source checkout), else the copy installed with the package
    (``planner/bundled/scenarios``, with its data in ``bundled/data``).

    Returns
    -------
    Path
        The scenario file.
    """
    here = Path.cwd() / "scenarios" / "kaltara.toml"
    if here.is_file():
        return here
    source = Path(__file__).resolve().parent.parent / "scenarios" / "kaltara.toml"
    if source.is_file():
        return source
    return Path(__file__).resolve().parent / "bundled" / "scenarios" / "kaltara.toml"


FRAME_FILES = {"villages": "frame_villages.parquet", "service_points": "frame_offices.parquet",
               "signal": "frame_signal.parquet", "network": "frame_network.parquet",
               "links": "frame_links.csv", "estimates": "frame_estimates.csv",
               "candidates": "frame_candidates.parquet"}
"""File names the frames of :func:`scenario_from_frames` are stored under (messages name
them)."""


def _network_frames(network: NetworkFrames) -> dict[str, pd.DataFrame]:
    """The network argument of :func:`scenario_from_frames` sorted into its line frame
    (``"network"``, a GeoDataFrame) and its link table (``"links"``, a DataFrame)."""
    import geopandas as gpd
    import pandas as pd

    items = list(network) if isinstance(network, list | tuple) else \
        ([] if network is None else [network])
    out: dict[str, pd.DataFrame] = {}
    for frame in items:
        key = "network" if isinstance(frame, gpd.GeoDataFrame) else \
            "links" if isinstance(frame, pd.DataFrame) else ""
        if not key:
            raise InputError([Problem("network", "expected a GeoDataFrame of lines or a "
                                      f"DataFrame of links, found {type(frame).__name__}")])
        if key in out:
            what = "line frame" if key == "network" else "link table"
            raise InputError([Problem("network", f"expected at most one {what}; join them "
                                      "into one (pandas.concat)")])
        out[key] = frame
    return out


def _check_frames(layers: dict[str, Any], tables: dict[str, Any], network: Any) -> None:
    """Every frame given to :func:`scenario_from_frames` of the kind it must be, with text
    column names and cells of one type per column (every problem at once, each naming the
    argument and column), before anything is stored."""
    import geopandas as gpd
    import pandas as pd

    pc = ProblemCollector()
    where = "from_frames"
    required = {"villages", "service_points"}
    frames: dict[str, Any] = {}
    for name, frame in layers.items():
        if frame is None:
            if name in required:
                pc.add(where, f"{name} is required: expected a GeoDataFrame", where=name)
        elif not isinstance(frame, gpd.GeoDataFrame):
            pc.add(where, f"expected a GeoDataFrame (with geometries), found "
                   f"{type(frame).__name__}", where=name)
        else:
            frames[name] = frame
    for name, frame in tables.items():
        if frame is not None and not isinstance(frame, pd.DataFrame):
            pc.add(where, f"expected a DataFrame, found {type(frame).__name__}", where=name)
        elif frame is not None:
            frames[name] = frame
    parts = network if isinstance(network, list | tuple) else [network]
    for i, frame in enumerate(p for p in parts if p is not None):
        if not isinstance(frame, pd.DataFrame):
            pc.add(where, "expected a GeoDataFrame of lines or a DataFrame of links, found "
                   f"{type(frame).__name__}", where=f"network #{i + 1}")
        else:
            frames[f"network #{i + 1}"] = frame
    for name, frame in frames.items():
        _check_columns(pc, name, frame)
    pc.raise_if_any()


def _check_columns(pc: ProblemCollector, name: str, frame: Any) -> None:
    """A frame's columns: text names; in each, cells of one type (text or numbers)."""
    import numpy as np

    where = "from_frames"
    for col in frame.columns:
        if not isinstance(col, str):
            pc.add(where, f"column names must be text, found {col!r} "
                   f"({type(col).__name__}); rename it", where=name, column=str(col))
            continue
        if col == getattr(frame, "_geometry_column_name", None) or frame[col].dtype != object:
            continue
        kinds = {("text" if isinstance(v, str) else "number"
                  if isinstance(v, int | float | np.number) and not isinstance(v, bool)
                  else type(v).__name__) for v in frame[col].dropna()}
        odd = kinds - {"text", "number"}
        if odd:
            pc.add(where, "cells must be single values (text or numbers), found "
                   f"{', '.join(sorted(odd))}", where=name, column=col)
        elif len(kinds) > 1:
            pc.add(where, "the column mixes numbers and text; give one type (e.g. "
                   f"frame[{col!r}].astype(str))", where=name, column=col)


def scenario_from_frames(*, villages: gpd.GeoDataFrame, service_points: gpd.GeoDataFrame,
                         network: NetworkFrames = None, estimates: pd.DataFrame | None = None,
                         signal: gpd.GeoDataFrame | None = None,
                         candidates: gpd.GeoDataFrame | None = None,
                         admin: dict[str, tuple[gpd.GeoDataFrame, int]] | None = None,
                         folder: str | Path | None = None, **settings: Any) -> Scenario:
    """A scenario from data frames, validated exactly as a scenario file is.

    Parameters
    ----------
    villages, service_points : GeoDataFrame
        Village polygons (``kode``, ``nama`` or the columns named in ``settings["villages"]``)
        and office points (``id``, ``nama``).
    network : GeoDataFrame, DataFrame or a list of both, optional
        Lines (a GeoDataFrame with a ``mode`` column, or the ``class_column`` of
        ``network_settings``) and/or a link table (a DataFrame without geometry: ``from, to,
        mode, minutes``...).
    estimates : DataFrame, optional
        Counts per village code (columns as named by the indicators).
    signal : GeoDataFrame, optional
        Blank-spot (or, with ``settings["signal"] = {"kind": "coverage"}``, coverage) polygons.
    candidates : GeoDataFrame, optional
        Candidate site points (``id``, ``nama``).
    admin : dict, optional
        ``{level: (GeoDataFrame, prefix_digits)}`` for parent levels (kecamatan...).
    folder : path, optional
        Where the frames are stored for the run (default: a new temporary folder); the
        messages and ``run.json`` name these files.
    **settings
        Any other scenario key, as in a TOML file: ``name``, ``title``, ``indicators`` (a list
        of dicts), ``access``, ``priority``, ``sites``; the keys of the tables that hold a
        frame go in ``villages_settings``, ``service_points_settings``, ``network_settings``
        (``speed_kmh``, ``classes``...), ``estimates_settings`` (``code``),
        ``signal_settings`` (``kind``).

    Returns
    -------
    Scenario
        The scenario, with its frames written as files in ``folder`` (a temporary folder
        by default) and checked as files are.

    Raises
    ------
    InputError
        For bad settings or frames, with the same messages as files.
    """
    import json
    import tempfile

    _check_frames({"villages": villages, "service_points": service_points, "signal": signal,
                   "candidates": candidates,
                   **{f"admin {k}": v[0] if isinstance(v, tuple) else v
                      for k, v in (admin or {}).items()}},
                  {"estimates": estimates}, network)
    if folder is None:
        work = Path(tempfile.mkdtemp(prefix="jangkau-"))
        atexit.register(shutil.rmtree, work, True)  # the frames' copies go with the session
    else:
        work = Path(folder)
    work.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {k: v for k, v in settings.items()}

    def table(key: str) -> dict[str, Any]:
        value = data.pop(f"{key}_settings", {})
        return dict(value) if isinstance(value, dict) else {}

    def store(frame: Any, key: str) -> str:
        name = FRAME_FILES[key]
        if name.endswith(".csv"):
            frame.to_csv(work / name, index=False)
        else:
            frame.to_parquet(work / name)
        return name

    data["villages"] = {**table("villages"), "path": store(villages, "villages")}
    data["service_points"] = {**table("service_points"),
                              "path": store(service_points, "service_points")}
    net = table("network")
    for key, frame in _network_frames(network).items():
        if key == "network":
            net["path"] = store(frame, "network")
        else:
            net["links"] = [store(frame, "links")]
    data["network"] = net
    if estimates is not None:
        data["estimates"] = {**table("estimates"), "path": store(estimates, "estimates")}
    if signal is not None:
        data["signal"] = {**table("signal"), "path": store(signal, "signal")}
    if candidates is not None:
        sites = data.get("sites", {})
        data["sites"] = {**(sites if isinstance(sites, dict) else {}),
                         "candidates": store(candidates, "candidates")}
    for level, (frame, digits) in (admin or {}).items():
        name = f"frame_admin_{slug(level)}.parquet"
        frame.to_parquet(work / name)
        data.setdefault("admin", []).append({"level": level, "path": name,
                                             "prefix_digits": digits})
    data.setdefault("name", "frames")
    source = work / "frames.json"
    source.write_text(json.dumps(data, default=str, indent=1, sort_keys=True))
    return _build(data, source, ProblemCollector())
