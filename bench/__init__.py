"""Fabrika's benchmark suite for the warehouse ledger (`make bench`, i.e. `python -m bench`).

It measures the workloads of /work/shared/PEERS.md on a fresh SQLite file database (and on
PostgreSQL with `--pg URL`) and compares them with Tryton 8.2 run on the same machine kind:

- W0  an empty read-write transaction;
- W1  one-line documents created and posted one transaction each (receipts, then FIFO issues);
- W1b one receipt and one issue of 1,000 lines each;
- W2  stock on hand of all items of a warehouse, read from the balance table, as the ledger grows
      from 10k to 100k to 1M rows;
- W2b the item card (moves of one item with a running balance, paginated) and the stock pages;
- W3 / W5 production orders and BOM explosion (bench.production).

Each phase runs in its own process on its own fresh database (bench.harness), so one workload's
data or identity map never colours another's figures. bench.report prints the markdown table and
writes it to bench/results/latest.md.
"""
