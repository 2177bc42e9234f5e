"""The shared MQTT layer below ingest, alerts and cameras: the client, the topic contract,
the inbound message and the dead-letter writer."""
