"""Maps: the web map's configuration and classes (:mod:`.web`), and the standalone folium
report maps (:mod:`.report`). Both read a snapshot; neither computes the analysis."""
