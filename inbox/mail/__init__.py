"""Mail the service itself sends (password resets, invitations)."""
