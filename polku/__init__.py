"""Polku's composition root, above the services: the `polku` command, the local stack, the demo.

services/ never imports this package. Operator commands (serve, migrate, replay, …) need only
the production dependencies; `polku up` and the tests also need the `stack` extra.
"""
