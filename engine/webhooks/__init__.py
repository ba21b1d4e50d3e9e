"""Outbound webhooks: a tenant's admin registers URLs that receive signed JSON POSTs when things
happen (an expedient opened, a task completed, a decree signed, a notification practised)."""
