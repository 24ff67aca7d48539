"""Spreadsheets in one place: reading CSV and XLSX files as text (`reading`), writing the ledger
(`writing`), and the one column vocabulary both use (`columns`), so import and export cannot
drift apart. Nothing here imports the engine or the store: front-ends hand a read `Sheet` to
the engine and a built ledger to the writer."""
