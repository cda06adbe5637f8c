"""Signed webhooks (Standard Webhooks): endpoints, the outbox of deliveries, their sending, API and screens.

They live in crm because both apps cause events: crm's services record theirs directly, personalization's
(feedback, delights, tasks) call crm.webhooks.services.webhook_event_record, and crm imports nothing back.
"""
