"""Pure deciders of the assessment service, one module per aggregate.

Each module has `initial_state`, `evolve(state, event)` and `decide(command, state, ...)`;
they import only `contracts` and the standard library.
"""
