"""SIP2 2.00 self-service for kiosks and door systems: `codec` reads and writes frames, `session` turns one
kiosk's requests into circulation-service calls, `server` serves them over TCP (and TLS)."""
