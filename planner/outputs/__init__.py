"""Outputs drawn from a result (layer 6): the map, tables, summary, sheets and the writer.

``render`` draws the offline outreach map; ``report`` writes the spreadsheet, GeoPackage,
summary and static figures; ``sheets`` the printable trip sheets; ``writing`` writes them all
as one generation with ``run.json``.
"""
