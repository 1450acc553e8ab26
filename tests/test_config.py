from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import planner
from planner.config import load_scenario
from planner.errors import InputError

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_scenario_loads():
    s = load_scenario(ROOT / "scenarios" / "kaltara.toml")
    assert s.name == "kaltara"
    assert [i.key for i in s.indicators] == ["ktp", "kia", "akta"]
    assert s.indicators[0].served_col == "ktp_recorded"
    assert s.network.speed_kmh["road"] == 40.0
    assert s.network.class_spec("river").upstream_kmh == 12.0
    assert s.network.transfer("road", "air") == 60.0 and s.network.transfer("air", "air") == 0
    assert s.villages.path.is_file() and all(f.is_file() for f in s.network.files())
    assert s.illustrative and "ILLUSTRATIVE" in s.illustrative_note


def test_replace_changes_only_a_copy():
    s = load_scenario(ROOT / "scenarios" / "kaltara.toml")
    t = s.replace(weights={"gap": 1.0, "remoteness": 0.0, "blank_spot": 0.0})
    assert t.weights["gap"] == 1.0 and s.weights["gap"] == 0.6
    d = s.replace(season="dry", max_km=5.0)
    assert d.network.season == "dry" and s.network.season == ""
    assert d.access.max_km == 5.0 and s.access.max_km == 25.0


def _problems(excinfo: pytest.ExceptionInfo[InputError]) -> list[tuple[str, str, str]]:
    return [(p.where, p.column, p.message) for p in excinfo.value.problems]


def test_replace_refuses_what_a_file_could_not_hold():
    """Specs check themselves, so replace() refuses a bad value with the parser's message,
    naming the scenario file, section and key (every problem at once)."""
    s = load_scenario(ROOT / "scenarios" / "kaltara.toml")
    with pytest.raises(InputError) as e:
        s.replace(season="monsoon")
    assert e.value.problems[0].source == str(s.source)
    assert _problems(e) == [("[network]", "season", "season 'monsoon' is not defined; "
                             "defined: dry, wet (add [network.seasons.monsoon.<class>])")]
    with pytest.raises(InputError) as e:
        s.replace(weights={"gap": -3})
    assert _problems(e) == [("[priority.weights]", "gap",
                             "expected a number >= 0 and <= 1e+06, found -3")]
    with pytest.raises(InputError) as e:
        s.replace(weights={"gap": 0, "remoteness": 0, "blank_spot": 0, "size": "big"})
    assert [c for _, c, _ in _problems(e)] == ["size", ""]  # unknown key; all zero
    with pytest.raises(InputError) as e:
        s.replace(trips={"teams": 0, "max_days": 2.5, "minimise": "speed", "start": "soon"})
    assert sorted(c for _, c, _ in _problems(e)) == ["max_days", "minimise", "start", "teams"]
    with pytest.raises(InputError) as e:
        s.replace(sites={"model": "nearest", "k": -1}, walk_kmh=0, snap_m=-1)
    assert {(w, c) for w, c, _ in _problems(e)} == {
        ("[sites]", "model"), ("[sites]", "k"), ("[access]", "walk_kmh"), ("[network]", "snap_m")}
    assert {p.source for p in e.value.problems} == {str(s.source)}
    with pytest.raises(InputError, match="unknown indicator 'hiv'"):
        s.replace(sites={"indicator": "hiv"})
    with pytest.raises(InputError, match="cannot change it"):
        s.replace(colour="red")
    with pytest.raises(InputError, match=r"\[trips\].*workday.*must end after it starts"):
        s.replace(trips={"workday": (17 * 60, 7 * 60)})


def test_replace_merges_partial_tables():
    s = load_scenario(ROOT / "scenarios" / "kaltara.toml")
    t = s.replace(weights={"gap": 0.8}, trips={"teams": 3}, sites={"k": 4})
    assert t.weights == {**s.weights, "gap": 0.8}
    assert t.trips.teams == 3 and t.trips.max_days == s.trips.max_days
    assert t.sites.k == 4 and t.sites.cover_minutes == s.sites.cover_minutes


def test_specs_made_directly_check_themselves():
    from planner.config import Access, NetworkSpec, SitesSpec, TripSpec

    with pytest.raises(InputError, match="max_days"):
        TripSpec(max_days=0)
    with pytest.raises(InputError, match="detour"):
        Access(detour=0.5)
    with pytest.raises(InputError, match="snap_m"):
        NetworkSpec(snap_m=0)
    with pytest.raises(InputError, match="expected 'sites' or 'cost'"):
        SitesSpec(minimise="people")  # type: ignore[arg-type]
    assert TripSpec() == TripSpec() and SitesSpec().k == 10  # the defaults pass


def test_every_problem_listed_at_once(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(
        'name = 5\nfoo = 1\n[villages]\npath = "missing.geojson"\ncolour = "red"\n'
        '[service_points]\npath = "svc.geojson"\n[network]\npath = "n.gpkg"\n'
        '[[network.places]]\npath = "j.gpkg"\nprefix = "jetty"\nlanding = "yes"\n'
        '[network.speed_kmh]\nroad = -3\n[access]\nwalk_kmh = "fast"\n'
        '[priority.weights]\nluck = 1\n')
    with pytest.raises(InputError) as err:
        load_scenario(f)
    msg = str(err.value)
    for piece in ("expected text, found 5", "unknown key 'foo'", "missing.geojson",
                  "unknown key 'colour'", "svc.geojson", "n.gpkg",
                  "expected a number > 0 and <= 2000, found -3",
                  "expected a number, found 'fast'", "unknown weight 'luck'",
                  "expected true/false, found 'yes'"):
        assert piece in msg, piece
    assert len(err.value.problems) >= 9
    assert isinstance(err.value, ValueError)


def test_paths_resolve_relative_to_scenario(tiny_scenario, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path.parent)
    s = planner.load_scenario(tiny_scenario)
    assert s.villages.path == (tiny_scenario.parent / "villages.geojson").resolve()


def test_not_toml(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("name = [unclosed\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_scenario(f)
    with pytest.raises(InputError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_scenario_from_frames_equals_the_files(tiny_scenario):
    """The same inputs as frames give the same plan as the files; bad frames get the file
    messages, naming the stored frame and the row or feature."""
    import geopandas as gpd
    import pandas as pd

    import planner

    d = tiny_scenario.parent
    frames = dict(villages=gpd.read_file(d / "villages.geojson"),
                  service_points=gpd.read_file(d / "service.geojson"),
                  network=gpd.read_file(d / "network.gpkg"),
                  estimates=pd.read_csv(d / "estimates.csv", sep=";", dtype=str),
                  signal=gpd.read_file(d / "blank.gpkg"))
    s = planner.Scenario.from_frames(
        **frames, name="tiny", title="Tiny test area", data_date="2024-01-01",
        indicators=[{"key": "ktp", "eligible": "eligible", "served": "recorded",
                     "served_suffix": "recorded", "weight": 1.0}],
        network_settings={"speed_kmh": {"road": 40}},
        access={"walk_kmh": 4, "detour": 1.3, "max_km": 5})
    a = planner.run(s, use_cache=False).table()
    b = planner.run(planner.load_scenario(tiny_scenario), use_cache=False).table()
    pd.testing.assert_frame_equal(a, b)
    bad = frames["estimates"].copy()
    bad.loc[1, "recorded"] = "-5"
    with pytest.raises(planner.InputError, match=r"frame_estimates.csv: row 3, column "
                                                  r"'recorded': expected a count >= 0"):
        planner.run(planner.scenario_from_frames(
            **{**frames, "estimates": bad},
            indicators=[{"key": "ktp", "eligible": "eligible", "served": "recorded"}],
            network_settings={"speed_kmh": {"road": 40}}), use_cache=False)


def test_scenario_from_frames_network_lines_and_links(tiny_scenario):
    """``network`` takes the line GeoDataFrame, a link DataFrame, or both in a list: the plan
    equals the one from files; anything else is a clear error."""
    import geopandas as gpd
    import pandas as pd

    import planner

    d = tiny_scenario.parent
    links = pd.DataFrame({"from": ["service:S"], "to": ["village:99.01.01.2005"],
                          "mode": ["boat"], "minutes": [90]})
    links.to_csv(d / "links.csv", index=False)
    toml = tiny_scenario.read_text().replace('path = "network.gpkg"\n',
                                             'path = "network.gpkg"\nlinks = ["links.csv"]\n')
    tiny_scenario.write_text(toml)
    from_files = planner.run(planner.load_scenario(tiny_scenario), use_cache=False).table()
    assert from_files.loc[from_files["kode"] == "99.01.01.2005", "travel_minutes"].item() == 90
    frames = dict(villages=gpd.read_file(d / "villages.geojson"),
                  service_points=gpd.read_file(d / "service.geojson"),
                  estimates=pd.read_csv(d / "estimates.csv", sep=";", dtype=str),
                  signal=gpd.read_file(d / "blank.gpkg"))
    settings = dict(name="tiny", title="Tiny test area", data_date="2024-01-01",
                    indicators=[{"key": "ktp", "eligible": "eligible", "served": "recorded",
                                 "served_suffix": "recorded", "weight": 1.0}],
                    network_settings={"speed_kmh": {"road": 40}},
                    access={"walk_kmh": 4, "detour": 1.3, "max_km": 5})
    s = planner.scenario_from_frames(
        **frames, network=[gpd.read_file(d / "network.gpkg"), links], **settings)
    pd.testing.assert_frame_equal(planner.run(s, use_cache=False).table(), from_files)
    with pytest.raises(planner.InputError, match="expected a GeoDataFrame of lines or a "
                                                  "DataFrame of links, found str"):
        planner.scenario_from_frames(**frames, network="roads.gpkg", **settings)
    with pytest.raises(planner.InputError, match="at most one link table"):
        planner.scenario_from_frames(**frames, network=[links, links], **settings)


def test_trips_settings_are_checked(tiny_scenario):
    """Every problem of [trips] at once, one message each, naming the key."""
    tiny_scenario.write_text(tiny_scenario.read_text() + textwrap.dedent("""
        [trips]
        teams = 0
        workday = ["7", "17:00"]
        travel_until = 5
        start = "04/11/2024"
        minimise = "fun"
        night_rupiah = -1
        """))
    with pytest.raises(InputError) as err:
        load_scenario(tiny_scenario)
    msg = [str(p) for p in err.value.problems]
    for column, words in (("teams", "expected a number >= 1"),
                          ("workday", "'7' is not a time of day HH:MM"),
                          ("travel_until", "expected text, found 5"),
                          ("start", "expected a date YYYY-MM-DD"),
                          ("minimise", "expected 'cost' or 'days'"),
                          ("night_rupiah", "expected a number >= 0")):
        hits = [m for m in msg if f"column '{column}'" in m]
        assert len(hits) == 1 and words in hits[0], (column, hits)


def test_frames_of_the_wrong_kind_are_named_before_anything_is_stored(tiny_scenario):
    """from_frames checks its frames first (every problem at once, naming the argument and
    column): a missing or plain-DataFrame villages layer, column names that are not text,
    a column mixing numbers and text, cells that are lists."""
    import geopandas as gpd
    import pandas as pd

    import planner

    d = tiny_scenario.parent
    vil = gpd.read_file(d / "villages.geojson")
    svc = gpd.read_file(d / "service.geojson")
    net = gpd.read_file(d / "network.gpkg")
    kw = dict(indicators=[{"key": "ktp", "eligible": "eligible", "served": "recorded"}])
    with pytest.raises(planner.InputError) as err:
        planner.scenario_from_frames(villages=None, service_points=pd.DataFrame(svc),
                                     network=net, **kw)
    text = str(err.value)
    assert "villages is required: expected a GeoDataFrame" in text
    assert "expected a GeoDataFrame (with geometries), found DataFrame" in text
    assert "service_points" in text
    mixed = vil.copy()
    mixed["kode"] = [1, *mixed["kode"].iloc[1:]]
    mixed[7] = 0
    mixed["nama"] = [["Desa", "A"], *mixed["nama"].iloc[1:]]
    est = pd.read_csv(d / "estimates.csv", sep=";", dtype=str)
    with pytest.raises(planner.InputError) as err:
        planner.scenario_from_frames(villages=mixed, service_points=svc, network=net,
                                     estimates=est, **kw)
    text = str(err.value)
    assert "column 'kode': the column mixes numbers and text" in text
    assert "column names must be text, found 7" in text
    assert "column 'nama': cells must be single values (text or numbers), found list" in text


def test_dates_and_capacities_that_would_hang_or_overflow_are_refused(tiny_scenario, capsys):
    """[trips] people_per_day below one person never finished; a start in the year 9999
    overflowed the calendar: both are refused, naming the key."""
    from planner.cli import main

    text = tiny_scenario.read_text()
    tiny_scenario.write_text(text + '\n[trips]\nstart = "2024-11-04"\npeople_per_day = 0.5\n')
    with pytest.raises(InputError, match=r"\[trips\], column 'people_per_day': expected a "
                                         r"number >= 1"):
        load_scenario(tiny_scenario)
    tiny_scenario.write_text(text + '\n[trips]\nstart = "9999-12-25"\n')
    with pytest.raises(InputError, match="start"):
        load_scenario(tiny_scenario)
    tiny_scenario.write_text(text + '\n[trips]\nstart = "2024-11-04"\n')
    with pytest.raises(SystemExit) as stop:
        main(["trips", str(tiny_scenario), "--start", "9999-12-25"])
    assert stop.value.code == 2 and "years 1900-2999" in capsys.readouterr().err


def test_targets_problems_are_all_named_with_their_table(tiny_scenario):
    """Every problem of a [[targets]] table at once (share, indicator, level), each naming
    the table as written in the file."""
    text = tiny_scenario.read_text()
    tiny_scenario.write_text(text + '\n[[targets]]\nindicator = "ktq"\nshare = 1.5\n'
                                    'level = "provinsi"\n')
    with pytest.raises(InputError) as err:
        load_scenario(tiny_scenario)
    said = str(err.value)
    for column in ("share", "indicator", "level"):
        assert f"[targets #1], column '{column}'" in said
