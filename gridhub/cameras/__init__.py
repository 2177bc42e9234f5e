"""Camera and drone feeds per grid: registry, ONVIF, stream health, snapshots, live view."""
