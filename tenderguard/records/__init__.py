"""Records of the day: the tamper-evident audit trail, exports, and the retention purge of health data."""
