"""The AI inbox's leads: a read-only view of contacts joined to their company."""
