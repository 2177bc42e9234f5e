"""MQTT ingest: the client, topic contract, payloads, pipelines and dead letters."""
