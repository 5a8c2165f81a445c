"""`inbound provision`: every AWS resource a stage needs, created or reconciled idempotently (`run`),
one module per kind of resource, sharing the run's context and report."""
