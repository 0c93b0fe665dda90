"""Benchmarks of TenderGuard (run one with ``python -m benchmarks.<name>``)."""
