"""What the services need from the outside world, as Protocols.

Services import these and the domain only; adapters (chalicelib/adapters) implement them
against AWS, and tests/fakes implement them in memory. A contract suite runs the same tests
against both, so a fake cannot promise what the real adapter does not do. Storage key layout
(pk/sk, GSI names) lives in the adapters, never here: the records below are typed values.
"""

from __future__ import annotations

# --- tickets, deliveries, held mail, mail store, search, events, secrets, clock ---


# --- outbound: suppression list, feedback ledger, send ledger, sender ---
