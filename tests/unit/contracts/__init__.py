"""Tests of the published language (contracts/)."""
