"""Pure statistics: descriptives, nonparametric tests, effect sizes, contingency tables,
prediction and multiplicity. No study knowledge and no data dictionary: every function takes a
DataFrame and column names and returns a tidy DataFrame with a ``method`` column."""
