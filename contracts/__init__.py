"""The published language of Polku: codes, events, envelope, commands and schemas."""
