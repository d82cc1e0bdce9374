"""Business rules of city points: the ledger (``ledger``: awards and spends, each once per
source) and the catalogue (``catalogue``: redeeming rewards, donating)."""
