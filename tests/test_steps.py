"""Progress of long steps: announced by the library on ``planner.progress``, drawn by the CLI
(a bar on a terminal, plain lines otherwise, nothing with ``-q``)."""

import io
import logging
import re

from planner.cli import _ProgressHandler, main
from planner.steps import RUN_STEPS, WRITE_STEPS, expected

from .conftest import write_tiny


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.steps: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.steps.append(record.jangkau_step)


def test_the_library_announces_every_step_in_order(tmp_path):
    import planner

    plog = logging.getLogger("planner.progress")
    handler = _Collect()
    plog.addHandler(handler)
    old = plog.level
    plog.setLevel(logging.INFO)
    try:
        scenario = planner.load_scenario(write_tiny(tmp_path / "tiny"))
        plan = planner.run(scenario, use_cache=False)
        choice = plan.choose_sites(k=1)
        plan.write(tmp_path / "out", sites=choice)
    finally:
        plog.removeHandler(handler)
        plog.setLevel(old)
    assert handler.steps == [*RUN_STEPS, "choose sites", *WRITE_STEPS]
    assert tuple(handler.steps) == expected(with_sites=True)


def test_cli_plain_lines_when_not_a_terminal_and_none_with_quiet(tmp_path, capsys):
    scenario = write_tiny(tmp_path / "tiny")
    assert main(["run", str(scenario), "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    lines = re.findall(r"planner: step (\d+)/(\d+): (.+)", err)
    assert lines, err
    # the tiny scenario chooses no sites: run steps, then the outputs without a curve
    expected = [*RUN_STEPS, *(s for s in WRITE_STEPS if s != "trade-off curve")]
    assert [name for _, _, name in lines] == expected
    assert [int(i) for i, _, _ in lines] == list(range(1, len(expected) + 1))
    assert {int(n) for _, n, _ in lines} == {len(expected)}
    assert "\r" not in err  # no terminal control in logs
    assert main(["run", str(scenario), "-q", "--out", str(tmp_path / "b")]) == 0
    assert "planner: step" not in capsys.readouterr().err
    # the announcements are not logged a second time with -v (each step's time is)
    assert main(["run", str(scenario), "-v", "--out", str(tmp_path / "c")]) == 0
    err = capsys.readouterr().err
    assert "INFO planner.progress" not in err and "INFO planner: write map.html" in err


def test_bar_on_a_terminal_is_redrawn_in_place_and_cleared():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    handler = _ProgressHandler(stream, ("a", "b", "c", "d"))
    log = logging.getLogger("planner.progress.test")
    log.propagate = False
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    for name in ("a", "c", "d"):  # a reused cache skips b: the bar jumps
        log.info(name, extra={"jangkau_step": name})
    handler.finish()
    log.removeHandler(handler)
    text = stream.getvalue()
    frames = text.split("\r")[1:]
    assert frames[0].startswith("[......................") and " 1/4 a" in frames[0]
    assert "[############............] 3/4 c" in frames[1]
    assert "[##################......] 4/4 d" in frames[2]
    assert "\n" not in text and text.endswith("\r")  # cleared, cursor back at the start
