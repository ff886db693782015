"""The locate benchmark runs, checks its own answers and prints JSON as its last line."""

import json

from django.core.management import call_command


def test_bench_locate_prints_its_figures(capsys):
    call_command("bench", "locate", "--grids", "300", "--points", "20000")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = json.loads(last)
    assert figures["grids"] == 300
    assert figures["points"] == 20000
    assert figures["points_per_second"] > 0
    assert 0 < figures["outside"] < 20000  # some random points fall outside the box
    assert figures["single_point_us"] > 0
