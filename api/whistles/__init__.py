"""Whistles and department assignments: dispatch, report for duty, deadlines, disputes."""
