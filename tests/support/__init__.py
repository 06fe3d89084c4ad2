"""Test helpers shared by unit and integration tests (not shipped in the package)."""
