"""What the services need from the outside world, as Protocols, by side: `tickets` (ingest
and the desk; their typed values in `records`), `outbound` (everything that sends), `held`
(undo-send), `reopen` (a reply's reopening, which the desk does), `redrive`, `composer`,
`uploads` and `staff`. Services import these and the domain only; adapters implement them
against AWS and tests/fakes in memory, held together by the contract suites in
tests/contracts. Nothing is re-exported here: a function imports only the side it uses (the
ingest's cold start loads `tickets` alone).
"""
