"""The child-friendly rule engine: pure functions over plain data, no database, no HTTP."""
