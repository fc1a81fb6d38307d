"""Given/when/then tests of the assessment deciders."""
