"""Outbound webhooks: subscriptions, the delivery outbox and its sender."""
