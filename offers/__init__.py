"""Rules of the scheduling offers (docs/offers.md) that more than one engine runs: below both
the dbt project (its Python model on DuckDB) and the pipeline (the Spark session's table
function), so that the rule lives in one place. Plain Python and pandas, no engine."""
