"""Who holds which tier where (:mod:`.profiles`), and the gate that decides what they may
do (:mod:`.gate`), shared reads of live streams (:mod:`.live`). Above the buildings and
residents whose tables it reads; below every domain that asks it."""
