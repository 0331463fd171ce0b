/**
 * The query layer's pure API: the dashboards and their queries, rendered for
 * Athena (Trino) or, through one translation step, DuckDB. Running them
 * locally is in ./duckdb (it loads DuckDB, a dev dependency).
 */
export * from "./dashboards";
export * from "./render";
