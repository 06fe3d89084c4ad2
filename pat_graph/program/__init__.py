"""Program text: code from model answers, docstring examples, test lines, default imports."""
