"""Reports read through the store and write documents: the ledger (台账) and its files."""
