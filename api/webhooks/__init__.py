"""Endpoints the mail providers call: Gmail push, Mailgun, SendGrid."""
