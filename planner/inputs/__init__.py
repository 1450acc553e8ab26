"""Reading and checking inputs (layer 2): files in, checked frames out.

``io`` reads and writes files (atomic writers, one generation per output folder);
``validate`` checks layers and tables, listing every problem at once; ``overlay`` joins
villages, admin names, estimates and blank-spot shares; ``fieldlog`` reads and checks field
service logs; ``osm`` reads OpenStreetMap extracts into lines. Nothing here knows the
network, the decisions or the outputs.
"""
