"""Portal: the Flask application for patrons, librarians and national services."""
