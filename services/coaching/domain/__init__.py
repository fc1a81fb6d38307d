"""Pure deciders of the coaching service, one module per aggregate (contracts + stdlib only)."""
