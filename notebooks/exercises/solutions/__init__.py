"""Worked solutions, one module per notebook: ``SOLUTIONS[id]()`` returns the answer to pass to
``check(id, ...)``, and ``MISTAKES[id]()`` a typical wrong answer, which the check must reject.

Try the exercise first: ``hint(id)`` gives a nudge. ``solution(id)`` prints the code below.
"""
