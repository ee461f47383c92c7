"""Outbound mail: a rep approves a draft, a worker sends it once (SMTP; Gmail API pending)."""
