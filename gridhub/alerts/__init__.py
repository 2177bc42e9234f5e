"""Alerts: lifecycle, rules, routing, escalation, dispatch channels, live events."""
