"""NCIP 2.02 messages as the Norwegian inter-library loan profile (NNCIPP 1.0) uses them: building, reading,
validating (`schema`), and the responder that answers peer libraries (`responder`)."""
