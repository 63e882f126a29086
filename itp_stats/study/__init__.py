"""The study: its configuration, the analysis plan and the verified run-state cache."""
