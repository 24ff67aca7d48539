"""The store: SQLModel tables, migrations and the queries the engine and reports need.

Nothing outside this package sees a table class or writes SQL.
"""
