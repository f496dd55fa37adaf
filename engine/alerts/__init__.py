"""Alert state (store.py: SQLite, restart-safe) and SLA tiers (sla.py: who is told, when)."""
