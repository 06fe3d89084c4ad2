"""Users' files: reading JSONL inputs, writing outputs without harming what is there."""
