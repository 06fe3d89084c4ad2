"""Users' files: reading JSONL inputs and writing output files without harming what is there."""
