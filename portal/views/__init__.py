"""One blueprint per area of the portal; each view builds a dict and hands it to `portal.render`."""
