"""Notifications: an outbox of messages to users, written in the transaction of the change."""
