"""The assessment service end to end: HTTP, PostgreSQL and the broker, all real."""
