"""OpenStreetMap extracts as network lines: which ways count, how fast, in which direction.

The rules follow OSM's tagging conventions (and osmnx's reading of them); every rule and
default is listed here and in the README ("OpenStreetMap rules"):

* **Kept ways**: ``highway=*`` (roads, tracks, paths), ``route=ferry`` and navigable
  ``waterway=river|canal`` (not ``boat=no``). Excluded by default, counted in the report:
  ``highway`` = ``construction``, ``proposed``, ``abandoned``, ``razed``, ``platform``,
  ``raceway``, ``disused``, ``bus_stop``, ``rest_area``, ``services``, ``elevator``; areas
  (``area=yes``); ways closed to the public (``access=no|private``, unless ``foot``,
  ``motor_vehicle`` or ``vehicle`` says ``yes|permissive|designated``).
* **Speeds**: :data:`DEFAULT_KMH` per class (walking classes at 4 km/h); a class not listed
  gets :data:`FALLBACK_KMH` (the report lists such classes); the scenario's
  ``[network.classes]`` or ``[network.speed_kmh]`` override. On a way, ``maxspeed`` lowers
  the speed when it is lower (``50``, ``30 mph``, ``10 knots``; other values ignored), and
  the condition factors :data:`TRACKTYPE_FACTOR` and :data:`SURFACE_FACTOR` (the lower of the
  two) slow roads and tracks.
* **Direction** (vehicle modes; walking ignores it): ``oneway=yes|true|1`` forward,
  ``oneway=-1|reverse`` backward, ``oneway=no|false|0`` both ways; without a ``oneway`` tag,
  ``junction=roundabout|circular`` and ``highway=motorway`` are one-way.
* **Ferries**: ``duration`` (``HH:MM``, ``HH:MM:SS``, minutes, or ISO 8601 ``PT1H30M``) is
  the crossing time when tagged; every ferry line adds a stated wait of
  :data:`FERRY_WAIT_MINUTES`.
* **Seasons**: ``ford=yes`` closes a way in the ``wet`` season; ``seasonal=yes`` or
  ``intermittent=yes`` closes a waterway in the ``dry`` season (``closed_seasons``).
* **Road meets water**: OSM rivers share no nodes with roads (bridges cross them). A jetty or
  landing (``man_made=pier``, ``amenity=ferry_terminal``, ``waterway=dock``,
  ``leisure=slipway``; node or way) connects the nearest road/track/path end or junction and
  the nearest point on a river or ferry line, each within ``[network] landing_m`` (250 m)
  of it; as a fallback, so does any dead end of a road, track or path within ``landing_m``
  of a river. The connection is walked (``walk_kmh``, ``detour``) and the scenario's
  transfer penalty for the two modes is paid (see :func:`planner.network.build._connect_water`).
* **Damaged or clipped extracts**: a way that references nodes outside the file (every
  regional extract is clipped) is cut at them and the parts that are present are kept;
  repeated nodes are merged; a way with fewer than two distinct points is dropped. All are
  counted in the report (``lines.attrs["osm_report"]``). Ways are split at every node shared
  with another kept way; a node is known by its location (two distinct nodes at exactly one
  location are one junction).
"""

from __future__ import annotations

import contextvars
import copy
import functools
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError, Problem

WALK_KMH = 4.0
DEFAULT_KMH: dict[str, float] = {
    "motorway": 80, "trunk": 60, "primary": 50, "secondary": 40, "tertiary": 30,
    "unclassified": 25, "residential": 20, "living_street": 10, "service": 15, "road": 20,
    "motorway_link": 40, "trunk_link": 40, "primary_link": 30, "secondary_link": 30,
    "tertiary_link": 25, "busway": 30, "track": 10, "path": WALK_KMH, "footway": WALK_KMH,
    "bridleway": WALK_KMH, "steps": 2, "pedestrian": WALK_KMH, "cycleway": WALK_KMH,
    "corridor": WALK_KMH, "sidewalk": WALK_KMH, "crossing": WALK_KMH, "ferry": 15,
    "river": 12, "canal": 8,
}
"""Default speeds (km/h) of OSM classes the scenario does not set."""

FALLBACK_KMH = 15.0
"""Speed of a ``highway`` value not in :data:`DEFAULT_KMH` (mode road)."""

MODE: dict[str, str] = {
    "track": "track", "path": "foot", "footway": "foot", "bridleway": "foot", "steps": "foot",
    "pedestrian": "foot", "cycleway": "foot", "corridor": "foot", "sidewalk": "foot",
    "crossing": "foot", "ferry": "ferry", "river": "river", "canal": "river"}
"""Mode of OSM classes; any other ``highway`` class is ``road``."""

EXCLUDED_HIGHWAY = frozenset({
    "construction", "proposed", "abandoned", "razed", "platform", "raceway", "disused",
    "bus_stop", "rest_area", "services", "elevator"})
"""``highway`` values that are not travelled (excluded by default)."""

TRACKTYPE_FACTOR = {"grade1": 1.0, "grade2": 0.8, "grade3": 0.6, "grade4": 0.5,
                    "grade5": 0.4}
"""Speed factor of ``tracktype`` (grade1 paved or heavily compacted ... grade5 soft)."""

SURFACE_FACTOR = {
    "paved": 1.0, "asphalt": 1.0, "concrete": 1.0, "paving_stones": 0.9, "sett": 0.8,
    "cobblestone": 0.8, "unhewn_cobblestone": 0.6,
    "compacted": 0.8, "fine_gravel": 0.8, "gravel": 0.7, "unpaved": 0.7, "pebblestone": 0.7,
    "ground": 0.6, "dirt": 0.6, "earth": 0.6, "grass": 0.5, "sand": 0.5, "mud": 0.4}
"""Speed factor of ``surface`` on roads and tracks (values not listed: 1)."""

FERRY_WAIT_MINUTES = 30.0
"""The stated wait before a ferry crossing (on top of its ``duration`` or speed)."""

_OPEN = {"yes", "permissive", "designated", "destination"}
_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|knots|km/h|kmh|kph)?\s*$", re.I)


def way_class(tags: Any) -> tuple[str, str]:
    """The class of a way and, when it is left out, why.

    Parameters
    ----------
    tags : object
        The way's tags (pyosmium's ``TagList``, or a dict).

    Returns
    -------
    cls : str
        The class (``""`` when left out or no network line).
    why : str
        Why it is left out (``""`` for a kept way or no network line).
    """
    hw = tags.get("highway")
    if hw is not None:
        if hw in EXCLUDED_HIGHWAY:
            return "", f"highway={hw}"
        if tags.get("area") == "yes":
            return "", "area=yes"
        if tags.get("access") in ("no", "private") and not any(
                tags.get(k) in _OPEN for k in ("foot", "motor_vehicle", "vehicle")):
            return "", f"access={tags.get('access')}"
        return str(hw), ""
    if tags.get("route") == "ferry":
        return "ferry", ""
    if tags.get("waterway") in ("river", "canal"):
        return ("", "boat=no") if tags.get("boat") == "no" else (str(tags["waterway"]), "")
    return "", ""


def direction(tags: Any, cls: str) -> int:
    """Which way a way may be travelled.

    Parameters
    ----------
    tags : object
        The way's tags (pyosmium's ``TagList``, or a dict).
    cls : str
        Its class (walking ways are never one-way).

    Returns
    -------
    int
        +1 one-way along the way, -1 one-way against it, 0 both ways.
    """
    if MODE.get(cls, "road") == "foot":
        return 0
    ow = str(tags.get("oneway", "")).strip().lower()
    if ow in ("yes", "true", "1"):
        return 1
    if ow in ("-1", "reverse"):
        return -1
    if ow in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular") or cls == "motorway":
        return 1
    return 0


def maxspeed_kmh(value: str | None) -> float:
    """``maxspeed`` in km/h; of several values (``50;60``) the lowest.

    Parameters
    ----------
    value : str or None
        The tag's value (``50``, ``30 mph``, ``50;60``...).

    Returns
    -------
    float
        km/h; NaN when absent, not a number (``none``, ``RU:urban``...) or 0.
    """
    if not value:
        return np.nan
    speeds = []
    for part in str(value).split(";"):
        m = _MAXSPEED.match(part)
        if m:
            v = float(m.group(1))
            unit = (m.group(2) or "km/h").lower()
            if v > 0:  # maxspeed=0 is a mapping error, not a closed way: ignored
                speeds.append(v * 1.609344 if unit == "mph" else v * 1.852 if unit == "knots"
                              else v)
    return min(speeds) if speeds else np.nan


def condition_factor(tags: Any, cls: str) -> float:
    """The lower of the ``tracktype`` and ``surface`` factors (roads and tracks; 1 else).

    Parameters
    ----------
    tags : object
        The way's tags (pyosmium's ``TagList``, or a dict).
    cls : str
        Its class.

    Returns
    -------
    float
        The factor (0..1].
    """
    if MODE.get(cls, "road") not in ("road", "track"):
        return 1.0
    return min(TRACKTYPE_FACTOR.get(str(tags.get("tracktype", "")), 1.0),
               SURFACE_FACTOR.get(str(tags.get("surface", "")), 1.0))


def duration_minutes(value: str | None) -> float:
    """A ferry's ``duration`` in minutes.

    Parameters
    ----------
    value : str or None
        ``HH:MM``, ``HH:MM:SS``, minutes, or ISO 8601 ``PT1H30M``.

    Returns
    -------
    float
        Minutes; NaN when absent or unreadable.
    """
    if not value:
        return np.nan
    v = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", v):
        return float(v)
    m = re.fullmatch(r"(\d+):(\d{1,2})(?::(\d{1,2}))?", v)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2)) + int(m.group(3) or 0) / 60
    m = re.fullmatch(r"P(?:T)?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", v, re.I)
    if m and any(m.groups()):
        h, mi, s = (int(x or 0) for x in m.groups())
        return h * 60 + mi + s / 60
    return np.nan


def closed_seasons(tags: Any) -> str:
    """The seasons a way is closed in: ``wet`` at a ford, ``dry`` on seasonal waterways.

    Parameters
    ----------
    tags : object
        The way's tags (pyosmium's ``TagList``, or a dict).

    Returns
    -------
    str
        Season names separated by ``;`` (``""`` when always open).
    """
    if tags.get("ford") in ("yes", "stepping_stones"):
        return "wet"
    if tags.get("waterway") and (tags.get("seasonal") == "yes"
                                 or tags.get("intermittent") == "yes"):
        return "dry"
    return ""


def _runs(nodes: list[tuple[int, bool, float, float]]
          ) -> tuple[list[list[tuple[int, float, float]]], int, int]:
    """A way's nodes cut at the missing ones: the runs of present nodes with at least two
    distinct points (repeated nodes merged); also how many nodes were missing and how many
    runs were too short to keep."""
    runs: list[list[tuple[int, float, float]]] = [[]]
    missing = 0
    for ref, ok, lon, lat in nodes:
        if not ok:
            missing += 1
            if runs[-1]:
                runs.append([])
            continue
        if runs[-1] and runs[-1][-1][0] == ref:
            continue  # a repeated node
        runs[-1].append((ref, lon, lat))
    kept = [r for r in runs if len(r) >= 2 and len({(x, y) for _, x, y in r}) >= 2]
    short = sum(1 for r in runs if r) - len(kept)
    return kept, missing, short


def read_osm(path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Read a local OSM extract (``.osm.pbf``, ``.osm``) with pyosmium; within one process a
    file is read once while it is unchanged (same size and modification time): a seasonal
    run builds the network twice (the second time without the season, to tell why a village
    is unreachable) and reads the extract once. Across processes the lines read from an
    extract are kept in the planner's cache folder (``$JANGKAU_CACHE``, see
    :mod:`planner.cache`), keyed by the extract's SHA-256 and these rules' source, so a run
    with other settings does not read the extract again (unless :data:`use_store` is
    False, as in ``run(use_cache=False)``); a damaged stored copy is ignored with a warning.

    Parameters
    ----------
    path : Path
        The extract.

    Returns
    -------
    lines : GeoDataFrame (EPSG:4326)
        Ways cut at missing nodes and split at every node shared with another kept way, in
        their travel direction, with ``class``, ``mode``, ``oneway``, ``name``,
        ``speed_factor`` (condition), ``maxspeed_kmh``, ``minutes`` (ferries with a
        ``duration``), ``wait_minutes`` (ferries) and ``closed_seasons``;
        ``lines.attrs["osm_report"]`` counts what was read, cut, merged and left out.
    aerodromes : GeoDataFrame (EPSG:4326)
        ``aeroway=aerodrome`` nodes (ways: mean of their nodes) with ``code`` (ICAO, else IATA,
        else the OSM id) and ``name``.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot be read ({exc.strerror or exc})")]) \
            from exc
    lines, aero = _read_osm_once(str(p.resolve()), st.st_size, st.st_mtime_ns, str(path))
    out = lines.copy()
    out.attrs = copy.deepcopy(lines.attrs)
    return out, aero.copy()


@functools.lru_cache(maxsize=4)
def _read_osm_once(path: str, size: int, mtime_ns: int, shown: str
                   ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """:func:`read_osm`'s work, remembered per (file, size, modification time)."""
    del size, mtime_ns  # they are the key: a changed file is read again
    if not use_store.get():
        return _read_osm(Path(path), shown)
    digest = _store_key(Path(path))
    found = _load_stored(digest, shown)
    if found is not None:
        return found
    lines, aero = _read_osm(Path(path), shown)
    _store(digest, lines, aero)
    return lines, aero


use_store: contextvars.ContextVar[bool] = contextvars.ContextVar("jangkau_osm_store",
                                                                  default=True)
"""Whether read extracts are kept in (and taken from) the cache folder."""

STORE_FORMAT = 1


def _store_key(path: Path) -> str:
    from importlib import metadata

    from .io import file_sha256

    h = hashlib.sha256(f"{STORE_FORMAT}:{file_sha256(path)}:{metadata.version('osmium')}:"
                       .encode())
    h.update(Path(__file__).read_bytes())  # these rules: changed rules, another key
    return h.hexdigest()[:32]


def _store(digest: str, lines: gpd.GeoDataFrame, aero: gpd.GeoDataFrame) -> None:
    """Keep a read extract in the cache folder (:func:`planner.store.save_folder`: atomic,
    checksummed; a folder that cannot be written only costs a warning)."""
    from ..store import save_folder

    def write(tmp: Path) -> None:
        plain = lines.copy()
        plain.attrs = {}
        plain.to_parquet(tmp / "lines.parquet")
        aero.to_parquet(tmp / "aerodromes.parquet")
        np.save(tmp / "landings.npy",
                np.asarray(lines.attrs.get("landings", []), dtype=float).reshape(-1, 2))
        report = {k: v for k, v in lines.attrs.get("osm_report", {}).items() if k != "file"}
        (tmp / "report.json").write_text(json.dumps(report))

    save_folder(f"osm-{digest}", write, what="the read OSM extract")


def _load_stored(digest: str, shown: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    """A kept extract (:func:`planner.store.load_folder`), or None; a damaged copy is
    ignored with a warning and the extract read again."""
    from ..store import load_folder

    def read(folder: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        lines = gpd.read_parquet(folder / "lines.parquet")
        aero = gpd.read_parquet(folder / "aerodromes.parquet")
        report = json.loads((folder / "report.json").read_text())
        landings = np.load(folder / "landings.npy", allow_pickle=False).reshape(-1, 2)
        lines.attrs["osm_report"] = {"file": shown, **report}
        lines.attrs["landings"] = [tuple(map(float, xy)) for xy in landings]
        return lines, aero

    return load_folder(f"osm-{digest}", read, required="report.json",
                       label=f"stored copy of {shown} in")


def _read_osm(path: Path, shown: str) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    import osmium

    reader = _WayReader(shown)
    try:
        fp = osmium.FileProcessor(str(path)).with_locations().with_filter(
            osmium.filter.KeyFilter("highway", "route", "waterway", "aeroway", "man_made",
                                    "amenity", "leisure"))
        for o in fp:
            reader.add(o)
    except (RuntimeError, ValueError, osmium.InvalidLocationError) as exc:
        # libosmium's parser refuses ids beyond 64 bits and malformed coordinates with a
        # ValueError (or its own error) naming the value
        raise InputError([Problem(shown, f"cannot be read as an OSM extract ({exc}); "
                                  "expected an OSM XML or PBF file as an OSM export or "
                                  "osmium writes it")]) from exc
    return reader.result()


class _WayReader:
    """The per-object work of :func:`read_osm`, kept to a few C++ calls per object: tags are
    looked up one key at a time (never copied whole), a complete way's line is built by
    pyosmium's C++ WKB writer, and attributes are worked out once per distinct combination
    of the tags that matter. Only a way with nodes missing from the extract (or too short)
    takes the slow path, node by node, to be cut at the missing nodes."""

    def __init__(self, shown: str) -> None:
        import osmium

        self.wkb = osmium.geom.WKBFactory()
        self.bad_geometry = (osmium.InvalidLocationError, RuntimeError)
        self.fast: list[str] = []          # WKB (hex) of complete ways
        self.fast_attr: list[int] = []     # their attribute row
        self.fast_seq: list[int] = []      # their order in the file
        self.slow: list[np.ndarray] = []   # runs (lon, lat) of cut ways
        self.slow_attr: list[int] = []
        self.slow_seq: list[int] = []
        self.attr_rows: dict[tuple[Any, ...], int] = {}
        self.aero: list[tuple[str, str | None, float, float]] = []
        self.landings: list[tuple[float, float]] = []
        self.fallback: set[str] = set()
        self.report: dict[str, Any] = {
            "file": shown, "ways_read": 0, "ways_kept": 0, "ways_cut_at_missing_nodes": 0,
            "missing_node_refs": 0, "ways_outside_the_extract": 0, "parts_too_short": 0,
            "excluded": {}, "classes_at_fallback_speed": []}

    def add(self, o: Any) -> None:
        tags = o.tags
        if _is_landing(tags):
            if (spot := _located(o, tags)) is not None:  # a node or way: its place
                self.landings.append((spot[2], spot[3]))
            if not o.is_way() or "highway" not in tags:
                return
        if tags.get("aeroway") == "aerodrome":
            if (found := _located(o, tags)) is not None:
                self.aero.append(found)
            return
        if not o.is_way():
            return
        cls, why = way_class(tags)
        if not cls:
            if why:
                self.report["excluded"][why] = self.report["excluded"].get(why, 0) + 1
            return
        self.report["ways_read"] += 1
        attrs = _way_attributes(tags, cls)
        row = self.attr_rows.setdefault(attrs, len(self.attr_rows))
        seq = self.report["ways_read"]
        try:
            self.fast.append(self.wkb.create_linestring(o))
        except self.bad_geometry:
            self._cut(o, cls, row, seq)
            return
        self.fast_attr.append(row)
        self.fast_seq.append(seq)
        self.report["ways_kept"] += 1
        if cls not in DEFAULT_KMH:
            self.fallback.add(cls)

    def _cut(self, o: Any, cls: str, row: int, seq: int) -> None:
        """A way with missing nodes (or fewer than two distinct points): its runs of present
        nodes, counted in the report."""
        runs, missing, short = _runs([(n.ref, *_lon_lat(n.location)) for n in o.nodes])
        self.report["missing_node_refs"] += missing
        self.report["parts_too_short"] += short
        if missing:
            self.report["ways_cut_at_missing_nodes" if runs else
                        "ways_outside_the_extract"] += 1
        if not runs:
            return
        self.report["ways_kept"] += 1
        if cls not in DEFAULT_KMH:
            self.fallback.add(cls)
        for run in runs:
            self.slow.append(np.array([(x, y) for _, x, y in run], dtype=float))
            self.slow_attr.append(row)
            self.slow_seq.append(seq)

    def result(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        self.report["classes_at_fallback_speed"] = sorted(self.fallback)
        lines = shapely.from_wkb(self.fast) if self.fast else np.empty(0, dtype=object)
        xy, index = shapely.get_coordinates(lines, return_index=True)
        sizes = np.bincount(index, minlength=len(self.fast))
        if self.slow:
            xy = np.vstack([xy, *self.slow])
            sizes = np.r_[sizes, [len(r) for r in self.slow]]
        # runs in file order (a cut way's runs after each other)
        seq = np.r_[np.array(self.fast_seq, dtype=np.int64),
                    np.array(self.slow_seq, dtype=np.int64)]
        attr = np.r_[np.array(self.fast_attr, dtype=np.int64),
                     np.array(self.slow_attr, dtype=np.int64)]
        table = pd.DataFrame(list(self.attr_rows), columns=_ATTRIBUTES)
        out = _split_at_shared_nodes(xy, sizes, seq, attr, table)
        self.report["landings"] = len(self.landings)
        out.attrs["osm_report"] = self.report
        out.attrs["landings"] = list(self.landings)  # (lon, lat); a list: pandas compares attrs
        aero = self.aero
        aerodromes = gpd.GeoDataFrame(
            {"code": [a[0] for a in aero], "name": [a[1] for a in aero]},
            geometry=gpd.points_from_xy([a[2] for a in aero], [a[3] for a in aero]),
            crs="EPSG:4326")
        return out, aerodromes


LANDING_TAGS = (("man_made", "pier"), ("amenity", "ferry_terminal"), ("waterway", "dock"),
                ("leisure", "slipway"))
"""Tags of jetties and landings: where road and water meet (see :func:`read_osm`)."""


def _is_landing(tags: Any) -> bool:
    return any(tags.get(k) == v for k, v in LANDING_TAGS)


def _lon_lat(loc: Any) -> tuple[bool, float, float]:
    return (True, loc.lon, loc.lat) if loc.valid() else (False, 0.0, 0.0)


_ATTRIBUTES = ["class", "mode", "_dir", "name", "speed_factor", "maxspeed_kmh", "minutes",
               "wait_minutes", "closed_seasons"]


def _way_attributes(tags: Any, cls: str) -> tuple[Any, ...]:
    """A kept way's attributes, in the order of :data:`_ATTRIBUTES` (a tuple, so that ways
    alike share one row)."""
    ferry = cls == "ferry"
    return (cls, MODE.get(cls, "road"), direction(tags, cls), tags.get("name", "") or "",
            condition_factor(tags, cls), maxspeed_kmh(tags.get("maxspeed")),
            duration_minutes(tags.get("duration")) if ferry else np.nan,
            FERRY_WAIT_MINUTES if ferry else np.nan, closed_seasons(tags))


_COLUMNS = ["class", "mode", "oneway", "name", "speed_factor", "maxspeed_kmh", "minutes",
            "wait_minutes", "closed_seasons"]


def _split_at_shared_nodes(xy: np.ndarray, sizes: np.ndarray, seq: np.ndarray,
                           attr: np.ndarray, table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Cut every kept run (coordinates ``xy``, ``sizes`` points each, in file order ``seq``,
    attribute row ``attr`` of ``table``) at each node another run also uses (its
    junctions), in one vectorised pass over all nodes; runs against their way's direction
    (``oneway=-1``) are reversed; a ferry's ``duration`` is shared out over its pieces by
    length. A node is known by its location (OSM's 1e-7 degree grid, so one node always has
    one location; two distinct nodes at one location are one junction). Pieces of zero
    length are left out."""
    if not len(sizes):
        return gpd.GeoDataFrame({c: [] for c in _COLUMNS}, geometry=[], crs="EPSG:4326")
    starts0 = np.cumsum(sizes) - sizes
    order = np.argsort(seq, kind="stable")          # runs in file order
    new_sizes = sizes[order]
    first = np.repeat(starts0[order], new_sizes)
    pos = np.arange(new_sizes.sum()) - np.repeat(np.cumsum(new_sizes) - new_sizes, new_sizes)
    back = np.repeat(table["_dir"].to_numpy()[attr[order]] < 0, new_sizes)
    size = np.repeat(new_sizes, new_sizes)
    take = first + np.where(back, size - 1 - pos, pos)   # reversed where oneway=-1
    x, y = xy[take, 0], xy[take, 1]
    run = np.repeat(np.arange(len(new_sizes)), new_sizes)
    last = pos == size - 1
    end = (pos == 0) | last
    key = (np.rint(x * 1e7).astype(np.int64) << 32) + np.rint(y * 1e7).astype(np.int64)
    _, inv = np.unique(key, return_inverse=True)
    uses = np.bincount(inv, weights=np.where(end, 2, 1))  # an end counts twice
    cut = (pos > 0) & ~last & (uses[inv] > 1)          # an inner node shared: a junction
    idx = np.repeat(np.arange(len(x)), 1 + cut)          # a junction ends one piece, starts one
    second = np.r_[False, idx[1:] == idx[:-1]]
    starts = (pos[idx] == 0) & ~second | second
    piece = np.cumsum(starts) - 1
    lines = shapely.linestrings(x[idx], y[idx], indices=piece)
    piece_run = run[idx][starts]
    length = shapely.length(lines)
    run_length = np.bincount(piece_run, weights=length, minlength=len(new_sizes))
    out = table.iloc[attr[order][piece_run]].reset_index(drop=True)
    out["oneway"] = out["_dir"].to_numpy() != 0
    share = length / np.maximum(run_length[piece_run], 1e-300)
    out["minutes"] = out["minutes"].to_numpy(float) * share
    keep = length > 0
    return gpd.GeoDataFrame(out[keep].reset_index(drop=True)[_COLUMNS],
                            geometry=lines[keep], crs="EPSG:4326")


def _located(o: Any, tags: dict[str, str]) -> tuple[str, str | None, float, float] | None:
    """A node or way (an aerodrome, a landing) as (code, name, lon, lat): ICAO, else IATA,
    else the OSM id; a way at the mean of its present nodes. None for relations and empty
    ways."""
    if o.is_node():
        return (tags.get("icao") or tags.get("iata") or f"n{o.id}", tags.get("name", ""),
                o.location.lon, o.location.lat)
    if not o.is_way():
        return None
    locs = [(n.lon, n.lat) for n in o.nodes if n.location.valid()]
    if not locs:
        return None
    return (tags.get("icao") or tags.get("iata") or f"w{o.id}", tags.get("name", ""),
            float(np.mean([p[0] for p in locs])), float(np.mean([p[1] for p in locs])))


def with_speeds(lines: gpd.GeoDataFrame, class_kmh: dict[str, float | None]) -> pd.DataFrame:
    """Per line the speed, km/h.

    Its class's (the scenario's, else the default) times its condition factor, lowered to
    ``maxspeed`` when that is lower; NaN where the class has no speed (the line check then
    names it).

    Parameters
    ----------
    lines : GeoDataFrame
        Lines as read by :func:`read_osm`.
    class_kmh : dict of str to float or None
        Speed per class.

    Returns
    -------
    DataFrame
        The lines with ``speed_kmh``.
    """
    code, classes = pd.factorize(lines["class"])
    base = np.array([np.nan if class_kmh.get(c) is None else class_kmh[c] for c in classes],
                    dtype=float)[code]
    speed = base * lines["speed_factor"].astype(float).to_numpy()
    cap = lines["maxspeed_kmh"].astype(float).to_numpy()
    return lines.assign(speed_kmh=np.where(np.isfinite(cap) & (cap < speed), cap, speed))
