"""Reporting: run summaries, statistics, the Pareto plot, paired comparisons, the HTML explorer."""
