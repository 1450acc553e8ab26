"""Deciding (layer 4): who comes first, where to stop, which trips to make.

``prioritise`` scores villages; ``milp`` is the one home of HiGHS models; ``optimise``
chooses sites on a coverage/travel table (never on geometries); ``pmedian`` solves p-median
at benchmark sizes; ``sites`` builds the site problem from a run and explains the answer;
``trips`` plans multi-day trips to the chosen stops.
"""
