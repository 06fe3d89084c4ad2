"""Entry points for LangGraph Studio / `langgraph dev`: one compiled graph per policy."""
