"""Rules: turn domain events and quiet spells into alert specs (they only detect; the service
opens and routes)."""
