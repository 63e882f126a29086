"""Cohort data: the data dictionary, loading and typing, the synthetic cohort, IWG derivation."""
