"""Command line: a thin shell over the library.

Exit codes: 0 ok, 2 bad input or bad option (message, no traceback), 3 infeasible target,
4 the outputs could not be written (disk full, read-only folder; the previous outputs are
left intact), 1 a bug.
``--debug`` shows tracebacks. Only the CLI configures logging.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from .errors import InfeasibleError, InputError, OutputError, Problem
from .text import count_text, minutes_text, rupiah_text


def _number(kind: type[int] | type[float], low: float, high: float,
            low_ok: bool = True) -> Callable[[str], float]:
    """An argparse type: a finite number of ``kind`` within [low, high] (or (low, high])."""
    def parse(text: str) -> float:
        try:
            v: float = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'a whole number' if kind is int else 'a number'}, found {text!r}"
            ) from None
        if not math.isfinite(v) or v < low or (v == low and not low_ok) or v > high:
            raise argparse.ArgumentTypeError(
                f"expected a number {'>=' if low_ok else '>'} {low:g} and <= {high:g}, "
                f"found {text}")
        return v
    parse.__name__ = kind.__name__
    return parse


def _cmd_run(args: argparse.Namespace) -> int:
    from .config import load_scenario
    from .pipeline import run

    t0 = time.perf_counter()
    scenario = load_scenario(args.scenario)
    failure = None
    choice = None
    out = _checked_out(args, Path("out") / scenario.slug, "planner run")
    with _progress(args, bool(scenario.sites.model), bool(scenario.progress.logs)):
        plan = run(scenario)
        if scenario.sites.model:
            try:
                choice = plan.choose_sites()
            except InfeasibleError as exc:  # the plan itself holds: write it, then exit 3
                failure = exc
        paths = plan.write(out, sites=choice, site_problem=str(failure) if failure else "",
                           producer="planner run")
    rep = plan.report
    print(f"Plan '{scenario.name}': {rep['villages']} villages, metric CRS {rep['metric_crs']}")
    for key, t in rep["totals"].items():
        print(f"  {key}: eligible {t['eligible']:,}, served {t['served']:,}, gap {t['gap']:,}"
              + (f" (+{t['unmatched_gap']:,} in unmatched rows)" if t["unmatched_gap"] else ""))
    print("  reach: " + ", ".join(f"{b} {n}" for b, n in rep["reach_bands"].items()))
    join = rep["join"]
    if join["unmatched_estimate_rows"]:
        print(f"  {len(join['unmatched_estimate_rows'])} estimate row(s) match no village "
              "(listed in run.json)")
    if join["villages_without_estimate"]:
        print(f"  {len(join['villages_without_estimate'])} village(s) have no estimate "
              "(listed in run.json)")
    for w in rep["warnings"]:
        print(f"  warning: {w}")
    if scenario.illustrative:
        print(f"  NOTE: {scenario.illustrative_note}")
    if plan.progress is not None:
        print(f"  field logs: {plan.progress.summary()} (reasons in rejected_logs.csv)")
    if choice is not None:
        print("  sites: " + choice.summary())
        new = choice.sites[choice.sites["rank"] > 0]
        print(f"  proposed stops ({len(new)}): " + ("; ".join(
            f"#{r.rank} {r.site_name} ({r.site_code})" for r in new.itertuples())
            if len(new) else "none"))
    top = plan.table().head(5)
    print("  highest-priority villages (by score, not the stops): " + "; ".join(
        f"{r.priority_rank}. {r.nama} ({r.kode})" for r in top.itertuples()))
    for p in paths.values():
        print(f"  wrote {p}")
    print(f"  done in {time.perf_counter() - t0:.1f} s")
    if failure is not None:
        print(f"infeasible: {failure} (every other output was written)", file=sys.stderr)
        return 3
    return 0


def _checked_out(args: argparse.Namespace, default: Path, producer: str) -> Path:
    """The output folder (``--out`` or the command's default), checked before any work:
    a folder the run may not replace stops it at once (exit 2 or 4)."""
    from .inputs import io

    out = Path(args.out) if args.out else default
    io.check_output(out, producer=producer)
    return out


def _cmd_route(args: argparse.Namespace) -> int:
    import numpy as np

    from .config import load_scenario
    from .pipeline import run

    plan = run(load_scenario(args.scenario))
    legs, _ = plan.route(args.kode, cheapest=args.cheapest)
    i = plan.village_index(args.kode)
    row = plan.villages.set_index("kode").loc[plan.network.points["village"].refs[i]]
    kind = "cheapest" if args.cheapest else "fastest"
    print(f"{row['nama']} ({row.name}), {row.get('kecamatan', '')}, {row.get('kabupaten', '')}")
    if legs.empty:
        print(f"  unreachable: {row['unreachable_reason']}")
        return 0
    origin = "the cheapest office" if args.cheapest else row["nearest_service"]
    print(f"  {kind} route from {origin}:")
    for k, leg in enumerate(legs.to_dict("records"), start=1):
        cost = "" if np.isnan(leg["cost"]) else f", {rupiah_text(leg['cost'])}"
        dist = f", {leg['length_m'] / 1000:.1f} km" if leg["length_m"] else ""
        note = f"  [{leg['name']}]" if leg["name"] else ""
        wait = (f" (of which {minutes_text(leg['wait_minutes'])} expected wait)"
                if leg["wait_minutes"] else "")
        print(f"  {k}. {leg['mode']:<8} {leg['from']} -> {leg['to']}: "
              f"{minutes_text(leg['minutes'])}{wait}{dist}{cost}{note}")
    total_cost = legs["cost"].sum(min_count=1)
    print(f"  total: {minutes_text(legs['minutes'].sum())}"
          + ("" if np.isnan(total_cost) else f", {rupiah_text(total_cost)}"))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare
    from .config import load_scenario
    from .inputs import io
    from .outputs.render import map_html
    from .pipeline import run

    a, b = load_scenario(args.a), load_scenario(args.b)
    out = _checked_out(args, Path("out") / f"compare_{a.slug}_{b.slug}", "planner compare")
    plan_a, plan_b = run(a), run(b)
    if args.sites:
        plan_a = plan_a.with_sites(plan_a.choose_sites())
        plan_b = plan_b.with_sites(plan_b.choose_sites())
    c = compare(plan_a, plan_b)
    with io.generation(out, producer="planner compare") as staging:
        io.write_csv(staging / "compare_villages.csv", c.villages)
        io.write_csv(staging / "compare_totals.csv", c.totals)
        io.write_text(staging / "compare_map.html", map_html(c.map()))
        io.write_manifest(staging, {"producer": "planner compare",
                                    "compare": [str(a.source), str(b.source)],
                                    "outputs": {"villages": "compare_villages.csv",
                                                "totals": "compare_totals.csv",
                                                "map": "compare_map.html"}})
    print(c.summary())
    print(c.totals.to_string(index=False))
    changed = c.changed()
    if len(changed):
        print(changed[["kode", "nama", "band_a", "band_b", "minutes_a", "minutes_b"]]
              .head(20).to_string(index=False))
    for f in ("compare_villages.csv", "compare_totals.csv", "compare_map.html"):
        print(f"wrote {out / f}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .config import load_scenario
    from .pipeline import validate_scenario

    scenario = load_scenario(args.scenario)
    rep = validate_scenario(scenario)
    join = rep["join"]
    print(f"Scenario '{scenario.name}' is valid: {rep['villages']} villages, "
          f"{rep['service_points']} service points, network "
          f"{rep['network']['line_edges']} line and {rep['network']['link_edges']} link edges")
    if join["unmatched_estimate_rows"]:
        rows = join["unmatched_estimate_rows"]
        print(f"  {len(rows)} estimate row(s) match no village: "
              + ", ".join(str(r["kode_input"]) for r in rows[:10]))
    if join["villages_without_estimate"]:
        v = join["villages_without_estimate"]
        print(f"  {len(v)} village(s) have no estimate: " + ", ".join(v[:10]))
    for w in rep["warnings"]:
        print(f"  warning: {w}")
    return 0


def _cmd_sites(args: argparse.Namespace) -> int:
    from .config import load_scenario
    from .pipeline import run

    scenario = load_scenario(args.scenario)
    changes = {k: v for k, v in (("kits", args.kits), ("budget", args.budget),
                                 ("cover_minutes", args.cover_minutes),
                                 ("minimise", args.minimise)) if v is not None}
    out = _checked_out(args, Path("out") / f"{scenario.slug}_sites", "planner sites")
    with _progress(args, True, bool(scenario.progress.logs)):
        plan = run(scenario)
        try:
            choice = plan.choose_sites(k=args.k, target=args.target, model=args.model,
                                       **changes)
        except InfeasibleError as exc:
            paths = plan.write(out, site_problem=str(exc),  # the plan without stops, and why
                               producer="planner sites")
            print(f"wrote the plan without a site choice in {out} ({len(paths)} files)")
            raise
        paths = plan.write(out, sites=choice, producer="planner sites")
    print(choice.summary())
    cols = ["rank", "site_code", "site_name", "people_newly_covered",
            "cumulative_share_of_target", "villages_served", "travel_minutes_from_office",
            "satellite_kit_needed", "round_trip_cost"]
    print(choice.sites[cols].to_string(index=False))
    print(f"wrote the whole plan with this site choice in {out} ({len(paths)} files; the "
          "folder is replaced as one generation):")
    for p in paths.values():
        print(f"  {p}")
    return 0


def _cmd_progress(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from .config import load_scenario
    from .pipeline import run

    scenario = load_scenario(args.scenario)
    spec = scenario.progress
    problems: list[Problem] = []
    given = []
    for p in args.logs:
        try:
            given.append(Path(p).resolve())
        except (OSError, RuntimeError):
            problems.append(Problem(str(p), "a loop of symbolic links; expected a log file"))
    logs = tuple(given) or spec.logs
    if not logs and not problems:
        raise InputError([Problem(str(scenario.source), "no field logs: give log files "
                                  "(planner progress LOGS...) or set [progress] logs",
                                  where="[progress]", column="logs")])
    problems += [Problem(str(p), "a folder; expected a log file (CSV, XLSX or a point "
                         "layer)" if p.is_dir() else "file not found")
                 for p in logs if not p.is_file()]
    if problems:
        raise InputError(problems)
    scenario = scenario.replace(progress=replace(spec, logs=logs,
                                                 as_of=args.as_of or spec.as_of))
    out = _checked_out(args, Path("out") / f"{scenario.slug}_logs", "planner progress")
    from .steps import expected

    run_steps = expected(with_sites=False, with_logs=True)
    with _progress(args, False, True,
                   (*run_steps[: run_steps.index("prioritise") + 1], "write progress")):
        plan = run(scenario)
        paths = plan.write_progress(out, producer="planner progress")
    check = plan.progress
    if check is None:  # pragma: no cover - run applied the logs given
        return 1
    print(check.summary())
    for file, g in check.roles_table().groupby("file", sort=False):
        print(f"  columns of {Path(str(file)).name}: " + "; ".join(
            f"{r.role} <- {r.column or '(none)'} ({r.how})" for r in g.itertuples()))
    over = plan.progress_over_time
    if over is not None:
        area = over[over["level"] == "study area"]
        for key, g in area.groupby("indicator", sort=False):
            target = g["target"].iloc[0]
            print(f"  {key}: coverage {100 * g['coverage'].iloc[0]:.2f}% at the baseline "
                  f"-> {100 * g['coverage'].iloc[-1]:.2f}% on {g['date'].iloc[-1]}"
                  + (f" (target {100 * target:.1f}%)" if target == target else ""))
    kinds = check.set_aside["reason_kind"].value_counts().sort_index()
    if len(kinds):
        print("  set aside: " + ", ".join(f"{k} {n}" for k, n in kinds.items())
              + " (reasons in rejected_logs.csv)")
    for p in paths.values():
        print(f"  wrote {p}")
    return 0


def _cmd_trips(args: argparse.Namespace) -> int:
    return _decide(args, joint=False, producer="planner trips", suffix="_trips")


def _cmd_plan(args: argparse.Namespace) -> int:
    return _decide(args, joint=True, producer="planner plan", suffix="_plan")


def _decide(args: argparse.Namespace, *, joint: bool, producer: str, suffix: str) -> int:
    """The decision (stops and trips), written whole; exit 3 when a target is not met."""
    from .config import load_scenario
    from .inputs.io import read_stops
    from .pipeline import run
    from .steps import expected

    scenario = load_scenario(args.scenario)
    stops = read_stops(args.stops) if args.stops else None
    out = _checked_out(args, Path("out") / f"{scenario.slug}{suffix}", producer)
    logs = bool(scenario.progress.logs)
    with _progress(args, True, logs, expected(with_sites=True, with_logs=logs, decide=True)):
        plan = run(scenario)
        decision = plan.decide(joint=joint, target=getattr(args, "target", None),
                               teams=args.teams, days=args.days, budget=args.budget,
                               start=args.start, stops=stops)
        view = plan.with_decision(decision)
        paths = view.write(out, producer=producer)
    tp = decision.trips
    t = tp.trips
    how = ("proven optimal" if tp.method == "exact" and tp.gap <= 0
           else f"gap to a lower bound {100 * tp.gap:.1f}%")
    cost = decision.cost()
    print(f"{decision.headline()}")
    print(f"{int((decision.choice.sites['rank'] > 0).sum())} stop(s), {len(t)} trip(s), "
          f"{int(t['days'].sum()) if len(t) else 0} team days, "
          f"{rupiah_text(cost['total'])} (travel {rupiah_text(cost['travel'])}, nights "
          f"{rupiah_text(cost['nights'])}, days {rupiah_text(cost['days'])}, stops "
          f"{rupiah_text(cost['stops'])}), "
          f"{count_text(t['people'].sum() if len(t) else 0)} people; trips {how}; stops: "
          f"{decision.method}" + (" (proven optimal)" if decision.proven else ""))
    if len(t):
        print(t[["trip", "team", "leaves", "returns", "days", "stops", "people", "cost"]]
              .to_string(index=False))
    n_sheets = sum(1 for k in paths if k.startswith("sheet_"))
    print(f"wrote the whole decision in {out} ({len(paths)} files, decision.json, "
          f"{n_sheets} printable trip sheets in {out / 'sheets'}; one generation)")
    un = tp.unreached
    if len(un):
        print(f"{len(un)} stop(s) no trip serves and no other stop could replace "
              f"({un['people'].sum():,.0f} people):")
        for r in un.itertuples():
            print(f"  {r.code} {r.name}: {r.reason}")
        if (un["reason"] == "over the total budget").any():
            bound = tp.people_bound
            most = ("the most any plan can reach within it" if bound <= t["people"].sum()
                    + 1e-9 else f"no plan could reach more than {count_text(bound)} within "
                    "it (an upper bound)")
            print(f"the budget reaches {count_text(t['people'].sum())} people at {len(t)} "
                  f"trip(s) for {rupiah_text(t['cost'].sum())}; {most}")
            return 3
    return 0 if decision.met else 3


def _check_date(text: str) -> str:
    """An argparse type: a date YYYY-MM-DD (the scenario's rule, :func:`config.is_date`)."""
    from .config import is_date

    if not is_date(text):
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD (years 1900-2999), "
                                         f"found {text!r}")
    return text


def _cmd_check(args: argparse.Namespace) -> int:
    from .errors import Problem
    from .inputs import io

    problems = io.check_generation(Path(args.folder))
    if problems:
        raise InputError([Problem(args.folder, p) for p in problems])
    print(f"{args.folder}: one complete generation of outputs (every file matches run.json)")
    return 0


def _trip_options(p: argparse.ArgumentParser, suffix: str) -> None:
    """The options `planner trips` and `planner plan` share: the scenario, the trips'
    limits and the output folder."""
    p.add_argument("scenario", nargs="?", help="scenario TOML (default: bundled Kaltara)")
    p.add_argument("--teams", type=_number(int, 1, 10_000), help="teams per office")
    p.add_argument("--days", type=_number(int, 1, 366), help="the longest trip, days")
    p.add_argument("--budget", type=_number(float, 0, 1e15, low_ok=False),
                   help="total budget of all trips, rupiah")
    p.add_argument("--start", type=_check_date, help="the date trips leave (YYYY-MM-DD)")
    p.add_argument("--stops", metavar="FILE",
                   help="serve these stops, as given: a stops.csv downloaded from the map "
                        "(column code) or a sites.csv (site_code); no other stops are tried")
    p.add_argument("--out", help=f"output folder (default: out/<scenario name>{suffix})")


def build_parser() -> argparse.ArgumentParser:
    """The ``planner`` command's argument parser.

    Returns
    -------
    argparse.ArgumentParser
        Its subcommands and options.
    """
    p = argparse.ArgumentParser(prog="planner", description="Jangkau service-reach planner")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.add_argument("-v", "--verbose", action="store_true", help="log each step's timing")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress (a bar on a terminal, one line per step otherwise)")
    # the same two options after the subcommand (`planner run -v`)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show tracebacks")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="log each step's timing")
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress (a bar on a terminal, one line per step otherwise)")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_)  # -v, --debug here too

    r = command("run", "run a scenario and write villages.csv/.gpkg, map.html, "
                       "run.json")
    r.add_argument("scenario", nargs="?", help="scenario TOML (default: bundled Kaltara)")
    r.add_argument("--out", help="output folder (default: out/<scenario name>)")
    r.set_defaults(func=_cmd_run)
    q = command("route", "print the fastest route from the nearest service point "
                       "to a village, leg by leg")
    q.add_argument("kode", help="village code, with or without dots")
    q.add_argument("scenario", nargs="?", help="scenario TOML (default: bundled Kaltara)")
    q.add_argument("--cheapest", action="store_true", help="the cheapest route instead")
    q.set_defaults(func=_cmd_route)
    cp = command("compare", "what changes between two scenarios")
    cp.add_argument("a", help="scenario A (TOML)")
    cp.add_argument("b", help="scenario B (TOML)")
    cp.add_argument("--sites", action="store_true", help="also choose sites in both")
    cp.add_argument("--out", help="output folder (default: out/compare_<a>_<b>)")
    cp.set_defaults(func=_cmd_compare)
    va = command("validate", "check every input of a scenario without running it")
    va.add_argument("scenario", nargs="?", help="scenario TOML (default: bundled Kaltara)")
    va.set_defaults(func=_cmd_validate)
    st = command("sites", "choose the next mobile-service sites")
    st.add_argument("scenario", nargs="?", help="scenario TOML (default: bundled Kaltara)")
    g = st.add_mutually_exclusive_group()
    g.add_argument("--k", type=_number(int, 0, 100_000),
                   help="choose this many new sites covering the most people (0..100000; "
                   "0 = what the offices cover now)")
    g.add_argument("--target", type=_number(float, 0, 1, low_ok=False),
                   help="fewest sites reaching this share, above 0 and at most 1 (0.994)")
    st.add_argument("--kits", type=_number(int, 0, 100_000),
                    help="satellite kits available (0..100000)")
    st.add_argument("--budget", type=_number(float, 0, 1e15),
                    help="total round-trip budget, rupiah (>= 0)")
    st.add_argument("--cover-minutes", type=_number(float, 0, 43_200, low_ok=False),
                    help="residents' travel time to a stop, minutes (above 0, at most 30 days)")
    st.add_argument("--minimise", choices=["sites", "cost"], help="target mode objective")
    st.add_argument("--model", choices=["target", "max_coverage", "p_median", "p_center",
                                        "set_cover"],
                    help="site model (default: --k -> max_coverage, --target -> target)")
    st.add_argument("--out", help="output folder (default: out/<scenario name>)")
    st.set_defaults(func=_cmd_sites)
    pr = command("progress", "apply field service logs: coverage over time, rejected rows "
                             "with reasons, updated estimates")
    pr.add_argument("logs", nargs="*", help="log files (CSV, XLSX, GeoJSON...; default: the "
                    "scenario's [progress] logs)")
    pr.add_argument("--scenario", help="scenario TOML (default: bundled Kaltara)")
    pr.add_argument("--as-of", type=_check_date, help="apply sessions up to this date "
                    "(YYYY-MM-DD)")
    pr.add_argument("--out", help="output folder (default: out/<scenario name>_progress)")
    pr.set_defaults(func=_cmd_progress)
    tr = command("trips", "multi-day trips serving the chosen stops: day-by-day itineraries "
                          "per team")
    _trip_options(tr, "_trips")
    tr.set_defaults(func=_cmd_trips)
    pl = command("plan", "the whole decision: stops and trips chosen together at the cost "
                         "the office pays, against every target (decision.json)")
    _trip_options(pl, "_plan")
    pl.add_argument("--target", type=_number(float, 0, 1, low_ok=False),
                    help="study-area target share of the site indicator, e.g. 0.994")
    pl.set_defaults(func=_cmd_plan)
    ck = command("check", "check that an output folder is one complete "
                        "generation (every file listed in its run.json, with its SHA-256)")
    ck.add_argument("folder", help="an output folder, e.g. out/kaltara")
    ck.set_defaults(func=_cmd_check)
    return p


class _ProgressHandler(logging.Handler):
    """Draws the steps announced on ``planner.progress``: a bar redrawn in place on a
    terminal, one plain line per step otherwise (logs, CI, pipes)."""

    def __init__(self, stream: Any, steps: tuple[str, ...]) -> None:
        super().__init__(logging.INFO)
        self.stream = stream
        self.steps = steps
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.done = 0
        self.t0 = time.perf_counter()
        self.drawn = False

    def emit(self, record: logging.LogRecord) -> None:
        name = str(getattr(record, "jangkau_step", record.getMessage()))
        if name in self.steps:
            self.done = max(self.done, self.steps.index(name))
        total = max(len(self.steps), self.done + 1)
        if self.tty:
            width = 24
            fill = round(width * self.done / total)
            line = (f"\r[{'#' * fill}{'.' * (width - fill)}] {self.done + 1}/{total} {name}"
                    f" ({time.perf_counter() - self.t0:.1f} s)")
            self.stream.write(line[:100].ljust(80))
            self.drawn = True
        else:
            self.stream.write(f"planner: step {self.done + 1}/{total}: {name}\n")
        self.stream.flush()

    def finish(self) -> None:
        """Clear the bar (on a terminal) so the results print on a clean line."""
        if self.tty and self.drawn:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


@contextlib.contextmanager
def _progress(args: argparse.Namespace, with_sites: bool, with_logs: bool = False,
              steps: tuple[str, ...] | None = None) -> Iterator[None]:
    """Show the steps of a run (and its site choice and outputs, or the given ``steps``)
    unless ``--quiet``."""
    from .steps import expected

    plog = logging.getLogger("planner.progress")
    if getattr(args, "quiet", False):
        yield
        return
    steps = steps or expected(with_sites=with_sites, with_logs=with_logs)
    handler = _ProgressHandler(sys.stderr, steps)
    before = plog.level, plog.propagate
    plog.addHandler(handler)
    plog.setLevel(logging.INFO)
    plog.propagate = False  # the step names are drawn here, not logged a second time
    try:
        yield
    finally:
        plog.removeHandler(handler)
        plog.level, plog.propagate = before
        handler.finish()


class _CliHandler(logging.StreamHandler[TextIO]):
    """The CLI's own handler (known again when the CLI runs twice in one process)."""


def _configure_logging(verbose: bool) -> None:
    """Log the planner's own messages (not other libraries') to stderr; only the CLI does
    this, never the library."""
    log = logging.getLogger("planner")
    for h in list(log.handlers):
        if isinstance(h, _CliHandler):
            log.removeHandler(h)
    handler = _CliHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO if verbose else logging.WARNING)
    log.propagate = False
    # step announcements are for the progress display only (each step's time is logged)
    logging.getLogger("planner.progress").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``planner`` command.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code (0 done, 1 a bug, 2 bad input, 3 infeasible, 4 outputs not written).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return int(args.func(args))
    except InputError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except InfeasibleError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"infeasible: {exc}", file=sys.stderr)
        return 3
    except OutputError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 4
    except BrokenPipeError:  # output piped into `head` and closed early
        return 0
    except Exception:
        traceback.print_exc()
        print("error: an unexpected failure (a bug); please report it with the traceback above",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
