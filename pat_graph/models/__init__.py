"""The model layer: chat models and their config, every request's ledger entry and cost."""
