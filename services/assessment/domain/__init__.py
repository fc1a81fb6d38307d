"""Pure deciders of the assessment service, one module per aggregate.

Each module has `initial_state`, `evolve(state, event)` and `decide(command, state, context)`
over the one shape of services/decider.py; they import only `contracts`, the standard library
and services.decider.
"""
