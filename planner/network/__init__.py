"""The travel network and travel on it (layer 3).

``graph`` holds the multimodal graph as numpy arrays (:class:`~planner.network.graph.Network`,
with ``to_networkx()``); ``build`` makes it from line layers, OSM extracts and link tables;
``schedule`` reads weekday timetables; ``travel`` runs bulk shortest paths on a CSR copy
(scipy) and explains routes leg by leg.
"""
