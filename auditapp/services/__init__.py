"""Use cases. They flush, never commit; the caller (an API view or a CLI command) owns the transaction."""
