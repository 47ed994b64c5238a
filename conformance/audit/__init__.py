"""``check``: auditing captured event streams (files, stdin, PostgreSQL, NATS JetStream)."""
