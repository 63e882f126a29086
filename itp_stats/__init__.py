"""itp-stats: reproducible study report for rituximab-treated ITP cohorts.

The package holds every computation of the report: the data dictionary, loading, the
validation gate, statistics, tables, figures, the command line and a built-in renderer.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
