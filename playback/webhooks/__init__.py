"""Webhooks: receivers (WebhookEndpoint) told by signed POSTs when runs and batches
end, each delivery (WebhookDelivery) kept with its tries (delivery.py)."""
