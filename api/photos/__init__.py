"""Photos of a case: served (original and thumbnail) to whoever may see the case, and the
after-photos a department attaches when it resolves."""
