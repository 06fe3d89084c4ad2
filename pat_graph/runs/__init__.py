"""Runs: the batch runner, workers and claims, run storage on SQLite and PostgreSQL, progress."""
