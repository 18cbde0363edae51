"""The publisher's outgoing webhooks: the event types its endpoints subscribe to, its tables,
and `service.notify`, which queues an event for a tenant's endpoints. The machinery (Standard
Webhooks signing, the retry schedule, delivery, the endpoints API and the dispatcher) is
`beacon_shared.webhooks`."""
