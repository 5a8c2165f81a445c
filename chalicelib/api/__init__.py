"""The staff HTTP API: routes (a Chalice Blueprint), token verification, request and response shapes."""
