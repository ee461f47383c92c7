"""Mail ingestion: IMAP and Gmail sync, provider webhooks, MIME parsing,
classification by headers, threading and lead matching.

Every source hands raw RFC 5322 bytes to the one parser
(:func:`inbox.ingest.parser.parse_message`) and the one store
(:func:`inbox.ingest.store.ingest_messages`).
"""
