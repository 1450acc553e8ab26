"""Writes office_log.xls and office_log.ods: a field log on the tiny test area as an office
that saves in Excel 97-2003 or LibreOffice sends it (a title row, date cells typed as dates,
Indonesian column names). Run once with xlwt and odfpy (``pip install xlwt odfpy``; not
project dependencies: only these fixtures need them); tests/test_fieldlog.py reads the
files (the planner reads both with python-calamine)."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path

import xlwt
from pyproj import Transformer

HERE = Path(__file__).resolve().parent
TO_WGS = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)


def lonlat(x_km: float, y_km: float) -> tuple[float, float]:
    """A point of the tiny area (tests/conftest.py: km from 500000, 300000 in EPSG:32650)."""
    return TO_WGS.transform(500_000 + x_km * 1000, 300_000 + y_km * 1000)


def main() -> None:
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Laporan")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    ws.write(0, 0, "Laporan perekaman KTP-el keliling (tahun 2003 Excel)")
    for c, name in enumerate(["Tanggal", "Tim", "Lintang", "Bujur", "Rekam KTP"]):
        ws.write(2, c, name)
    rows = [(datetime.date(2024, 2, 3), "T1", (11, 1), 12),
            (datetime.date(2024, 2, 4), "T1", (21, 1), 5)]
    for r, (day, team, xy, n) in enumerate(rows, start=3):
        lon, lat = lonlat(*xy)
        ws.write(r, 0, day, date_style)
        ws.write(r, 1, team)
        ws.write(r, 2, round(lat, 6))
        ws.write(r, 3, round(lon, 6))
        ws.write(r, 4, n)
    wb.save(str(HERE / "office_log.xls"))
    import pandas as pd

    table = [["Laporan perekaman KTP-el keliling (LibreOffice)", None, None, None, None],
             [None] * 5, ["Tanggal", "Tim", "Lintang", "Bujur", "Rekam KTP"]]
    for day, team, xy, n in rows:
        lon, lat = lonlat(*xy)
        table.append([day, team, round(lat, 6), round(lon, 6), n])
    pd.DataFrame(table).to_excel(HERE / "office_log.ods", engine="odf", index=False,
                                 header=False)
    print(f"wrote {HERE / 'office_log.xls'} and office_log.ods", file=sys.stderr)


if __name__ == "__main__":
    main()
