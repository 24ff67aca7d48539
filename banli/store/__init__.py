"""The store: the schema (Core tables, `schema.py`; SQLModel classes mapped onto them, `tables.py`),
migrations and the queries the engine and reports need.

Nothing outside this package sees a table class or writes SQL.
"""
